import { describe, expect, it } from 'vitest';
import type { Capabilities, GpuCapability } from '../../src/models/capabilities.ts';
import { BUILTIN_CATALOG } from '../../src/models/catalog.ts';
import { MLC_DTYPE, modelLibUrl, pickMlcBuild } from './webllm-runtime.ts';

const smollm = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!;
const gpu = (over: Partial<GpuCapability>): GpuCapability => ({
  adapter: 'test gpu',
  isFallback: false,
  shaderF16: true,
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31,
  ...over,
});
const device = (webgpu: GpuCapability | null, deviceMemoryGB: number | null = 8): Capabilities => ({
  webgpu,
  deviceMemoryGB,
  cores: 4,
  crossOriginIsolated: true,
  storage: { quota: 100e9, usage: 0, persisted: false },
});

describe('which MLC build web-llm runs (the model chooser decides)', () => {
  it('a GPU with shader-f16 gets the f16 build the README smoke test names', () => {
    expect(pickMlcBuild(smollm, device(gpu({})))?.build.modelId).toBe('SmolLM2-135M-Instruct-q0f16-MLC');
  });

  it('without shader-f16 (SwiftShader here) only a 32-bit build is allowed', () => {
    const pick = pickMlcBuild(smollm, device(gpu({ shaderF16: false, isFallback: true })));
    expect(pick?.build.modelId).toBe('SmolLM2-135M-Instruct-q0f32-MLC');
    expect(pick?.build.shaderF16).toBe(false);
    expect(MLC_DTYPE[pick!.build.quantization]).toBe('fp32');
  });

  it('no adapter, no MLC build, or not enough memory: web-llm does not apply', () => {
    expect(pickMlcBuild(smollm, device(null))).toBeNull();
    expect(pickMlcBuild({ ...smollm, mlc: [] }, device(gpu({})))).toBeNull();
    expect(pickMlcBuild(undefined, device(gpu({})))).toBeNull();
    const big = BUILTIN_CATALOG.find((e) => e.mlc.length > 0 && e.mlc.every((b) => b.vramMB > 1100))!;
    expect(pickMlcBuild(big, device(gpu({}), 1))).toBeNull();
  });
});

describe('where the model library comes from', () => {
  it('web-llm’s own URL for the Hugging Face hub, the same path on a mirror', async () => {
    const build = smollm.mlc.find((b) => b.quantization === 'q0f16')!;
    const hf = await modelLibUrl(build, 'https://huggingface.co');
    expect(hf).toMatch(
      /^https:\/\/raw\.githubusercontent\.com\/mlc-ai\/binary-mlc-llm-libs\/.+\/SmolLM2-135M-Instruct-q0f16.*\.wasm$/,
    );
    const mirror = await modelLibUrl(build, 'https://hub.example.org/');
    expect(mirror).toMatch(
      /^https:\/\/hub\.example\.org\/mlc-ai\/binary-mlc-llm-libs\/resolve\/main\/web-llm-models\/.+\.wasm$/,
    );
    expect(mirror.split('/').pop()).toBe(build.modelLib);
  });
});

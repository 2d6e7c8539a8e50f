import { describe, expect, it } from 'vitest';
import type { Capabilities, GpuCapability } from './capabilities.ts';
import { BUILTIN_CATALOG } from './catalog.ts';
import { pickMlcBuild, pickRuntime } from './runtime-choice.ts';

const smollm = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!;
const gpu: GpuCapability = {
  adapter: 'test gpu',
  isFallback: false,
  shaderF16: false,
  maxBufferSize: 2 ** 31,
  maxStorageBufferBindingSize: 2 ** 31,
};
const device = (webgpu: GpuCapability | null, crossOriginIsolated = true): Capabilities => ({
  webgpu,
  deviceMemoryGB: 8,
  cores: 8,
  crossOriginIsolated,
  storage: { quota: 100e9, usage: 0, persisted: false },
});

describe('pickRuntime: one decision for device, dtype, backend and threads', () => {
  it('auto on a GPU runs a catalog model with an MLC build on web-llm (32-bit without shader-f16)', () => {
    const pick = pickRuntime({ device: 'auto' }, device(gpu), smollm);
    expect(pick.backend).toBe('webllm');
    if (pick.backend === 'webllm') expect(pick.build.modelId).toBe('SmolLM2-135M-Instruct-q0f32-MLC');
  });

  it('transformers.js when asked for, or when the model has no MLC build', () => {
    expect(pickRuntime({ device: 'auto', backend: 'transformers' }, device(gpu), smollm)).toEqual({
      backend: 'transformers',
      device: 'webgpu',
      dtype: 'q4',
      threads: 1,
    });
    expect(pickRuntime({ device: 'webgpu', dtype: 'fp32' }, device(gpu), undefined)).toMatchObject({
      backend: 'transformers',
      dtype: 'fp32',
    });
  });

  it('WASM: 8-bit, up to four threads when cross-origin isolated, one otherwise', () => {
    expect(pickRuntime({ device: 'auto' }, device(null), smollm)).toEqual({
      backend: 'transformers',
      device: 'wasm',
      dtype: 'q8',
      threads: 4,
    });
    expect(pickRuntime({ device: 'wasm' }, device(gpu, false), smollm)).toMatchObject({ threads: 1 });
  });

  it('what cannot run here is a typed error that says what to choose instead', () => {
    expect(() => pickRuntime({ device: 'webgpu' }, device(null), smollm)).toThrow(
      expect.objectContaining({ code: 'webgpu-unavailable' }),
    );
    expect(() =>
      pickRuntime({ device: 'webgpu', backend: 'webllm' }, device(gpu), { ...smollm, mlc: [] }),
    ).toThrow(
      expect.objectContaining({ code: 'backend-unavailable', message: expect.stringMatching(/no web-llm/) }),
    );
    expect(() => pickRuntime({ device: 'auto', backend: 'onnx' as 'auto' }, device(gpu), smollm)).toThrow(
      expect.objectContaining({ code: 'invalid-request' }),
    );
  });
});

describe('which MLC build web-llm runs (the model chooser decides)', () => {
  const withGpu = (over: Partial<GpuCapability>, deviceMemoryGB = 8): Capabilities => ({
    ...device({ ...gpu, shaderF16: true, ...over }),
    deviceMemoryGB,
  });

  it('a GPU with shader-f16 gets the f16 build the README smoke test names', () => {
    expect(pickMlcBuild(smollm, withGpu({}))?.modelId).toBe('SmolLM2-135M-Instruct-q0f16-MLC');
  });

  it('without shader-f16 (SwiftShader here) only a 32-bit build is allowed', () => {
    const build = pickMlcBuild(smollm, withGpu({ shaderF16: false, isFallback: true }));
    expect(build?.modelId).toBe('SmolLM2-135M-Instruct-q0f32-MLC');
    expect(build?.shaderF16).toBe(false);
  });

  it('no adapter, no MLC build, or not enough memory: web-llm does not apply', () => {
    expect(pickMlcBuild(smollm, device(null))).toBeNull();
    expect(pickMlcBuild({ ...smollm, mlc: [] }, withGpu({}))).toBeNull();
    expect(pickMlcBuild(undefined, withGpu({}))).toBeNull();
    const big = BUILTIN_CATALOG.find((e) => e.mlc.length > 0 && e.mlc.every((b) => b.vramMB > 1100))!;
    expect(pickMlcBuild(big, withGpu({}, 1))).toBeNull();
  });
});

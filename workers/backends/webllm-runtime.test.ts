import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG } from '../../src/models/catalog.ts';
import { MLC_DTYPE, modelLibUrl } from './webllm-runtime.ts';

const smollm = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!;
describe('how an MLC build is reported', () => {
  it('by the closest ONNX dtype: a 32-bit build as fp32, a 4-bit one as q4', () => {
    const f32 = smollm.mlc.find((b) => b.quantization === 'q0f32')!;
    expect(MLC_DTYPE[f32.quantization]).toBe('fp32');
    expect(MLC_DTYPE.q4f16_1).toBe('q4');
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeCached } from '../../tools/forge/cache.ts';
import { prefill, step, type DecoderDims } from '../../tools/forge/decoder-runner.ts';
import { getPreset, type PresetName } from '../../tools/forge/presets.ts';
import { dequantizeQ4, quantizeQ4 } from '../../tools/forge/quantize.ts';
import { headDimOf } from '../../tools/forge/random-weights.ts';
import { requantize, rewriteQ4ToQ8 } from './q4-to-q8.ts';

function relativeL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

function top1Agreement(a: Float32Array, b: Float32Array, vocab: number): number {
  let agree = 0;
  const rows = a.length / vocab;
  const argmax = (x: Float32Array, r: number) => {
    let best = r * vocab;
    for (let i = r * vocab; i < (r + 1) * vocab; i++) if (x[i]! > x[best]!) best = i;
    return best;
  };
  for (let r = 0; r < rows; r++) if (argmax(a, r) === argmax(b, r)) agree++;
  return agree / rows;
}

describe('requantize', () => {
  it('keeps every 4-bit weight to within half an int8 step of its column scale', () => {
    const N = 5;
    const K = 70; // not a multiple of the block size: the last block is partial
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)));
    const q = quantizeQ4(w, N, K, 32);
    const reference = dequantizeQ4(q, N, K, 32);
    const { weights, columnScales } = requantize(q.data, q.scales, N, K, 32);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const back = weights[k * N + n]! * columnScales[n]!;
        expect(Math.abs(back - reference[n * K + k]!)).toBeLessThanOrEqual(columnScales[n]! / 2 + 1e-6);
      }
    }
  });
});

describe.each<PresetName>(['tiny-llama', 'tiny-qwen2'])('rewriteQ4ToQ8 on a forged %s', (preset) => {
  let original: ort.InferenceSession;
  let rewritten: ort.InferenceSession;
  let count = 0;
  const shape = getPreset(preset).shape;
  const dims: DecoderDims = {
    numLayers: shape.numLayers,
    numKvHeads: shape.numKvHeads,
    headDim: headDimOf(shape),
    vocabSize: shape.vocabSize,
  };

  beforeAll(async () => {
    const m = await forgeCached({ preset, dtypes: ['q4'], seed: 3 });
    const bytes = new Uint8Array(readFileSync(join(m.dir, 'onnx', 'model_q4.onnx')));
    const result = rewriteQ4ToQ8(bytes);
    expect(result.skipped).toEqual([]);
    count = result.rewritten;
    original = await ort.InferenceSession.create(bytes);
    rewritten = await ort.InferenceSession.create(result.model!);
  });

  it('replaces every MatMulNBits (7 per layer and the LM head) and keeps the inputs and outputs', () => {
    expect(count).toBe(7 * shape.numLayers + 1);
    expect(rewritten.inputNames).toEqual(original.inputNames);
    expect(rewritten.outputNames).toEqual(original.outputNames);
  });

  it('computes what the q4 model computes, to within int8 rounding (prefill and a cached decode step)', async () => {
    const prompt = Array.from({ length: 24 }, (_, i) => 3 + ((i * 37) % (shape.vocabSize - 3)));
    const run = (s: ort.InferenceSession) => prefill(s, ort, dims, prompt);
    const a = await run(rewritten);
    const b = await run(original);
    // The forge's q8 export is 6-7% from fp32 on these random models; re-quantizing q4 costs no more than that.
    expect(relativeL2(a.logits, b.logits)).toBeLessThan(0.12);
    expect(top1Agreement(a.logits, b.logits, dims.vocabSize)).toBeGreaterThanOrEqual(0.75);
    const next = [[7]];
    const mask = [new Array<number>(prompt.length + 1).fill(1)];
    const a2 = await step(rewritten, ort, dims, next, [[prompt.length]], mask, a.past);
    const b2 = await step(original, ort, dims, next, [[prompt.length]], mask, b.past);
    expect(relativeL2(a2.logits, b2.logits)).toBeLessThan(0.12);
  });

  it('leaves a model without MatMulNBits alone', async () => {
    const m = await forgeCached({ preset, dtypes: ['q8'], seed: 3 });
    const bytes = new Uint8Array(readFileSync(join(m.dir, 'onnx', 'model_quantized.onnx')));
    expect(rewriteQ4ToQ8(bytes).model).toBeNull();
  });
});

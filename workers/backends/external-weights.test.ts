/**
 * The zero-copy split of a model into a small graph and references into its own buffer: ONNX Runtime given the
 * split computes exactly what it computes on the original file (onnxruntime-node, which mounts in-memory external
 * data as onnxruntime-web does), for every dtype the forge makes and for the q4 file's q8 rewrite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { forgeCached } from '../../tools/forge/cache.ts';
import { decoderDims, prefill } from '../../tools/forge/decoder-runner.ts';
import { getPreset } from '../../tools/forge/presets.ts';
import { DTYPE_SUFFIX } from '../../tools/forge/types.ts';
import { externalizeWeights } from './external-weights.ts';
import { rewriteQ4ToQ8 } from './q4-to-q8.ts';

const shape = getPreset('tiny-llama').shape;
const dims = decoderDims(shape);

async function logits(model: Uint8Array, externalData?: { path: string; data: Uint8Array }[]) {
  const session = await ort.InferenceSession.create(model, externalData ? ({ externalData } as object) : {});
  const prompt = [1, 45, 300, 7, 900, 12];
  const r = await prefill(session, ort, dims, prompt);
  await session.release();
  return Array.from(r.logits);
}

describe('externalizeWeights', () => {
  it.each(['fp32', 'q8', 'q4'] as const)(
    '%s: the split model gives the same logits as the file',
    async (dtype) => {
      const forged = await forgeCached({ preset: 'tiny-llama', dtypes: [dtype], seed: 11 });
      let bytes = new Uint8Array(readFileSync(join(forged.dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`)));
      if (dtype === 'q4') bytes = rewriteQ4ToQ8(bytes).model!;
      const split = externalizeWeights(bytes, 'petit-weights');
      expect(split).not.toBeNull();
      // The graph keeps only small tensors inline; the weights stay where they are, in the same buffer.
      expect(split!.data).toBe(bytes);
      expect(split!.graph.length).toBeLessThan(bytes.length - split!.bytes + 64 * split!.tensors);
      // Most of the bytes even in this tiny model (its per-column scales stay inline); over 99 % in real ones.
      expect(split!.bytes).toBeGreaterThan(bytes.length * 0.75);
      expect(await logits(split!.graph, [{ path: 'petit-weights', data: split!.data }])).toEqual(
        await logits(bytes),
      );
    },
  );

  it('leaves alone what it cannot split: not a model, or weights already external', async () => {
    expect(externalizeWeights(new Uint8Array([8, 1]), 'x')).toBeNull();
    const forged = await forgeCached({ preset: 'tiny-llama', dtypes: ['fp32'], seed: 11 });
    const once = externalizeWeights(
      new Uint8Array(readFileSync(join(forged.dir, 'onnx', 'model.onnx'))),
      'w',
    )!;
    expect(externalizeWeights(once.graph, 'w')).toBeNull();
  });

  it('throws on a cut or corrupt file instead of reading past its end (the backend then lets ORT refuse it)', async () => {
    const forged = await forgeCached({ preset: 'tiny-llama', dtypes: ['q8'], seed: 11 });
    const bytes = new Uint8Array(readFileSync(join(forged.dir, 'onnx', 'model_quantized.onnx')));
    expect(() => externalizeWeights(bytes.subarray(0, Math.floor(bytes.length / 2)), 'w')).toThrow(
      /truncated or corrupt/,
    );
    // A varint whose continuation bit never ends.
    expect(() => externalizeWeights(new Uint8Array(64).fill(0xff), 'w')).toThrow(/truncated or corrupt/);
  });
});

/**
 * The `num_logits_to_keep` rewrite: with k = 0 the rewritten model computes exactly what the file computes; with
 * k > 0 it returns the last k positions' logits, the same as the file's on fp32 (on q8 the projection's input is
 * quantised over fewer positions, so the values move a little and the chosen token does not). Checked with
 * onnxruntime-node on every dtype the forge makes, on the split graph the backend rewrites.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { forgeCached } from '../../tools/forge/cache.ts';
import { argmax, decoderDims, emptyPast } from '../../tools/forge/decoder-runner.ts';
import { getPreset } from '../../tools/forge/presets.ts';
import { DTYPE_SUFFIX } from '../../tools/forge/types.ts';
import { externalizeWeights } from './external-weights.ts';
import { KEEP_INPUT, keepLastLogits } from './last-logits.ts';
import { rewriteQ4ToQ8 } from './q4-to-q8.ts';

const shape = getPreset('tiny-llama').shape;
const dims = decoderDims(shape);
const PROMPT = [1, 45, 300, 7, 900, 12, 33, 401];
const i64 = (values: number[], shape: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(values, BigInt), shape);

async function model(dtype: 'fp32' | 'q8' | 'q4'): Promise<{ graph: Uint8Array; data: Uint8Array }> {
  const forged = await forgeCached({ preset: 'tiny-llama', dtypes: [dtype], seed: 11 });
  let bytes = new Uint8Array(readFileSync(join(forged.dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`)));
  if (dtype === 'q4') bytes = rewriteQ4ToQ8(bytes).model!;
  return externalizeWeights(bytes, 'w')!;
}

async function logits(
  graph: Uint8Array,
  data: Uint8Array,
  keep?: number,
): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(graph, { externalData: [{ path: 'w', data }] } as object);
  const out = await session.run({
    input_ids: i64(PROMPT, [1, PROMPT.length]),
    position_ids: i64(
      PROMPT.map((_, i) => i),
      [1, PROMPT.length],
    ),
    attention_mask: i64(
      PROMPT.map(() => 1),
      [1, PROMPT.length],
    ),
    ...emptyPast(ort, dims),
    ...(keep === undefined ? {} : { [KEEP_INPUT]: i64([keep], []) }),
  });
  await session.release();
  return { dims: out.logits!.dims, data: out.logits!.data as Float32Array };
}

describe('keepLastLogits', () => {
  it.each(['fp32', 'q8', 'q4'] as const)(
    '%s: k = 0 gives every position as before; k = 1 and k = 3 give the last positions',
    async (dtype) => {
      const { graph, data } = await model(dtype);
      const rewritten = keepLastLogits(graph);
      expect(rewritten).not.toBeNull();
      const V = dims.vocabSize;
      const before = await logits(graph, data);
      const all = await logits(rewritten!, data, 0);
      expect(all.dims).toEqual([1, PROMPT.length, V]);
      expect(Array.from(all.data)).toEqual(Array.from(before.data));
      for (const k of [1, 3]) {
        const last = await logits(rewritten!, data, k);
        expect(last.dims).toEqual([1, k, V]);
        const expected = before.data.subarray((PROMPT.length - k) * V);
        if (dtype === 'fp32') {
          expect(Array.from(last.data)).toEqual(Array.from(expected));
        } else {
          // The q8 projection quantises its input per tensor: fewer positions, another scale.
          for (let row = 0; row < k; row++) {
            expect(argmax(last.data, row * V, (row + 1) * V)).toBe(argmax(expected, row * V, (row + 1) * V));
          }
          const spread = Math.max(...expected) - Math.min(...expected);
          for (let i = 0; i < last.data.length; i++)
            expect(Math.abs(last.data[i]! - expected[i]!)).toBeLessThan(spread * 0.05);
        }
      }
    },
  );

  it('leaves alone a model that already has the input, and what is not a decoder with logits', async () => {
    const { graph } = await model('fp32');
    const once = keepLastLogits(graph)!;
    expect(keepLastLogits(once)).toBeNull();
    expect(keepLastLogits(new Uint8Array([8, 1]))).toBeNull();
  });
});

/**
 * Runs a forged decoder with ONNX Runtime (onnxruntime-node or onnxruntime-web: same API), feeding exactly what
 * transformers.js feeds: input_ids, attention_mask, position_ids and the past key/values. Used by the forge's
 * tests and by the decode-speed measurement.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { headDimOf } from './random-weights.ts';
import type { ModelShape } from './types.ts';

export interface OrtModule {
  Tensor: typeof Tensor;
}

export interface DecoderDims {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** The dims the runner needs, from a forged model's shape. */
export function decoderDims(shape: ModelShape): DecoderDims {
  return {
    numLayers: shape.numLayers,
    numKvHeads: shape.numKvHeads,
    headDim: headDimOf(shape),
    vocabSize: shape.vocabSize,
  };
}

export type Past = Record<string, Tensor>;

export function emptyPast(ort: OrtModule, dims: DecoderDims, batch = 1): Past {
  const past: Past = {};
  for (let i = 0; i < dims.numLayers; i++) {
    for (const kv of ['key', 'value']) {
      past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        dims.numKvHeads,
        0,
        dims.headDim,
      ]);
    }
  }
  return past;
}

export interface StepResult {
  /** [batch, seq, vocab] */
  logits: Float32Array;
  past: Past;
}

const i64 = (ort: OrtModule, values: number[], dims: number[]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );

/**
 * One forward pass. `ids` and `positions` are [batch][seq]; `mask` is [batch][past + seq] (1 = real token).
 */
export async function step(
  session: InferenceSession,
  ort: OrtModule,
  dims: DecoderDims,
  ids: number[][],
  positions: number[][],
  mask: number[][],
  past: Past,
): Promise<StepResult> {
  const B = ids.length;
  const S = ids[0]!.length;
  const T = mask[0]!.length;
  const out = await session.run({
    input_ids: i64(ort, ids.flat(), [B, S]),
    position_ids: i64(ort, positions.flat(), [B, S]),
    attention_mask: i64(ort, mask.flat(), [B, T]),
    ...past,
  });
  const next: Past = {};
  for (let i = 0; i < dims.numLayers; i++) {
    for (const kv of ['key', 'value']) next[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`]!;
  }
  return { logits: out.logits!.data as Float32Array, past: next };
}

/** One forward pass over a whole prompt from an empty cache (batch 1): the prefill. */
export function prefill(
  session: InferenceSession,
  ort: OrtModule,
  dims: DecoderDims,
  prompt: number[],
): Promise<StepResult> {
  return step(
    session,
    ort,
    dims,
    [prompt],
    [prompt.map((_, i) => i)],
    [prompt.map(() => 1)],
    emptyPast(ort, dims),
  );
}

export function argmax(a: ArrayLike<number>, start = 0, end = a.length): number {
  let best = start;
  for (let i = start + 1; i < end; i++) if (a[i]! > a[best]!) best = i;
  return best - start;
}

/** Greedy generation for one sequence with the KV cache; returns the new tokens. */
export async function greedy(
  session: InferenceSession,
  ort: OrtModule,
  dims: DecoderDims,
  prompt: number[],
  maxNew: number,
): Promise<number[]> {
  let past = emptyPast(ort, dims);
  let ids = prompt;
  let pos = 0;
  const out: number[] = [];
  for (let n = 0; n < maxNew; n++) {
    const positions = ids.map((_, j) => pos + j);
    pos += ids.length;
    const r = await step(session, ort, dims, [ids], [positions], [new Array<number>(pos).fill(1)], past);
    const last = (ids.length - 1) * dims.vocabSize;
    const next = argmax(r.logits, last, last + dims.vocabSize);
    out.push(next);
    past = r.past;
    ids = [next];
  }
  return out;
}

/**
 * The forged decoder computes what a Hugging Face Llama/Qwen2 computes: checked against a plain reference forward
 * pass written here from the model definition, across the KV cache, left padding, ORT node vs ORT web (WASM),
 * and for the quantized dtypes against fp32.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDecoderGraph } from './decoder-graph.ts';
import { argmax, emptyPast, step, type DecoderDims, type OrtModule } from './decoder-runner.ts';
import { writeOnnxModel } from './onnx-writer.ts';
import { dequantizeQ4, quantizeQ4 } from './quantize.ts';
import { getPreset } from './presets.ts';
import { headDimOf, randomWeights } from './random-weights.ts';
import type { Dtype, ModelShape, WeightSet } from './types.ts';

type Session = ortNode.InferenceSession;

/** Reference forward pass (float64) of one sequence, from the Hugging Face modeling code's math. */
function referenceLogits(shape: ModelShape, w: WeightSet, ids: number[]): Float64Array[] {
  const H = shape.hiddenSize;
  const D = headDimOf(shape);
  const rep = shape.numHeads / shape.numKvHeads;
  const get = (n: string) => w.get(n)!;
  const linear = (x: Float64Array, name: string, out: number, bias?: Float32Array) => {
    const W = get(name);
    const inDim = x.length;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inDim; i++) s += W[o * inDim + i]! * x[i]!;
      y[o] = s;
    }
    return y;
  };
  const rms = (x: Float64Array, weight: Float32Array) => {
    let ms = 0;
    for (const v of x) ms += v * v;
    const r = 1 / Math.sqrt(ms / x.length + shape.rmsNormEps);
    return x.map((v, i) => v * r * weight[i]!);
  };
  const rope = (v: Float64Array, heads: number, pos: number) => {
    const out = new Float64Array(v.length);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < D / 2; i++) {
        const a = pos * Math.fround(1 / Math.pow(shape.ropeTheta, (2 * i) / D));
        const x1 = v[h * D + i]!;
        const x2 = v[h * D + i + D / 2]!;
        out[h * D + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        out[h * D + i + D / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
    return out;
  };
  let xs = ids.map((t) => Float64Array.from(get('model.embed_tokens.weight').subarray(t * H, (t + 1) * H)));
  const qwen = shape.family === 'qwen2';
  for (let l = 0; l < shape.numLayers; l++) {
    const p = `model.layers.${l}`;
    const hs = xs.map((x) => rms(x, get(`${p}.input_layernorm.weight`)));
    const bias = (n: string) => (qwen ? get(`${p}.self_attn.${n}_proj.bias`) : undefined);
    const q = hs.map((h, pos) =>
      rope(linear(h, `${p}.self_attn.q_proj.weight`, shape.numHeads * D, bias('q')), shape.numHeads, pos),
    );
    const k = hs.map((h, pos) =>
      rope(linear(h, `${p}.self_attn.k_proj.weight`, shape.numKvHeads * D, bias('k')), shape.numKvHeads, pos),
    );
    const v = hs.map((h) => linear(h, `${p}.self_attn.v_proj.weight`, shape.numKvHeads * D, bias('v')));
    xs = xs.map((x, t) => {
      const ctx = new Float64Array(shape.numHeads * D);
      for (let h = 0; h < shape.numHeads; h++) {
        const kvh = Math.floor(h / rep);
        const scores = Array.from({ length: t + 1 }, (_, j) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[t]![h * D + d]! * k[j]![kvh * D + d]!;
          return s / Math.sqrt(D);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= t; j++)
          for (let d = 0; d < D; d++) ctx[h * D + d]! += (e[j]! / z) * v[j]![kvh * D + d]!;
      }
      const o = linear(ctx, `${p}.self_attn.o_proj.weight`, H);
      const x1 = x.map((val, i) => val + o[i]!);
      const h2 = rms(x1, get(`${p}.post_attention_layernorm.weight`));
      const g = linear(h2, `${p}.mlp.gate_proj.weight`, shape.intermediateSize);
      const u = linear(h2, `${p}.mlp.up_proj.weight`, shape.intermediateSize);
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      const down = linear(act, `${p}.mlp.down_proj.weight`, H);
      return x1.map((val, i) => val + down[i]!);
    });
  }
  const head = shape.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return xs.map((x) => linear(rms(x, get('model.norm.weight')), head, shape.vocabSize));
}

const dir = mkdtempSync(join(tmpdir(), 'forge-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Built {
  shape: ModelShape;
  weights: WeightSet;
  dims: DecoderDims;
  path: (dtype: Dtype) => string;
}

function build(preset: 'tiny-llama' | 'tiny-qwen2', dtypes: Dtype[]): Built {
  const shape = getPreset(preset).shape;
  const weights = randomWeights(shape, 7);
  const path = (dtype: Dtype) => join(dir, `${preset}-${dtype}.onnx`);
  for (const dtype of dtypes) writeOnnxModel(path(dtype), buildDecoderGraph(shape, weights, { dtype }));
  const dims = {
    numLayers: shape.numLayers,
    numKvHeads: shape.numKvHeads,
    headDim: headDimOf(shape),
    vocabSize: shape.vocabSize,
  };
  return { shape, weights, dims, path };
}

const PROMPT = [17, 250, 3, 99, 512, 640, 1000, 8, 77, 301, 5, 42];
const positions = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const ones = (n: number) => new Array<number>(n).fill(1);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Logits of every prompt position, computed one token at a time through the KV cache. */
async function stepwise(
  session: Session,
  ort: OrtModule,
  dims: DecoderDims,
  ids: number[],
): Promise<Float32Array> {
  const out = new Float32Array(ids.length * dims.vocabSize);
  let past = emptyPast(ort, dims);
  for (let t = 0; t < ids.length; t++) {
    const r = await step(session, ort, dims, [[ids[t]!]], [[t]], [ones(t + 1)], past);
    out.set(r.logits, t * dims.vocabSize);
    past = r.past;
  }
  return out;
}

describe.each(['tiny-llama', 'tiny-qwen2'] as const)('%s decoder graph', (preset) => {
  let m: Built;
  let session: Session;
  beforeAll(async () => {
    m = build(preset, ['fp32']);
    session = await ortNode.InferenceSession.create(m.path('fp32'));
  });

  it('matches a reference forward pass of the Hugging Face model (fp32, within 1e-4)', async () => {
    const ref = referenceLogits(m.shape, m.weights, PROMPT);
    const r = await step(
      session,
      ortNode,
      m.dims,
      [PROMPT],
      [positions(PROMPT.length)],
      [ones(PROMPT.length)],
      emptyPast(ortNode, m.dims),
    );
    expect(maxAbsDiff(r.logits, Float64Array.from(ref.flatMap((x) => Array.from(x))))).toBeLessThan(1e-4);
  });

  it('decoding token by token through the KV cache gives the logits of one full pass (within 1e-4)', async () => {
    const full = await step(
      session,
      ortNode,
      m.dims,
      [PROMPT],
      [positions(PROMPT.length)],
      [ones(PROMPT.length)],
      emptyPast(ortNode, m.dims),
    );
    expect(maxAbsDiff(await stepwise(session, ortNode, m.dims, PROMPT), full.logits)).toBeLessThan(1e-4);
    // Prefill 8 tokens, then 4 single-token steps with the returned cache.
    const pre = await step(
      session,
      ortNode,
      m.dims,
      [PROMPT.slice(0, 8)],
      [positions(8)],
      [ones(8)],
      emptyPast(ortNode, m.dims),
    );
    let past = pre.past;
    for (let t = 8; t < PROMPT.length; t++) {
      const r = await step(session, ortNode, m.dims, [[PROMPT[t]!]], [[t]], [ones(t + 1)], past);
      past = r.past;
      const V = m.dims.vocabSize;
      expect(maxAbsDiff(r.logits, full.logits.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-4);
    }
  });

  it('respects a left-padded attention mask: a padded row equals the same prompt run alone', async () => {
    const V = m.dims.vocabSize;
    const short = PROMPT.slice(0, 7);
    const pad = PROMPT.length - short.length;
    // transformers.js: position ids count real tokens only (padding gets 1, never attended).
    const ids = [PROMPT, [...new Array<number>(pad).fill(2), ...short]];
    const pos = [positions(PROMPT.length), [...new Array<number>(pad).fill(1), ...positions(short.length)]];
    const mask = [ones(PROMPT.length), [...new Array<number>(pad).fill(0), ...ones(short.length)]];
    const batch = await step(session, ortNode, m.dims, ids, pos, mask, emptyPast(ortNode, m.dims, 2));
    const alone = await step(
      session,
      ortNode,
      m.dims,
      [short],
      [positions(short.length)],
      [ones(short.length)],
      emptyPast(ortNode, m.dims),
    );
    const row1 = batch.logits.subarray((PROMPT.length + pad) * V, 2 * PROMPT.length * V);
    expect(Array.from(row1).every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(row1, alone.logits)).toBeLessThan(1e-4);
    // …and keeps agreeing on the next decode step through the batched cache.
    const next = await step(
      session,
      ortNode,
      m.dims,
      [[5], [5]],
      [[PROMPT.length], [short.length]],
      [ones(PROMPT.length + 1), [...mask[1]!, 1]],
      batch.past,
    );
    const aloneNext = await step(
      session,
      ortNode,
      m.dims,
      [[5]],
      [[short.length]],
      [ones(short.length + 1)],
      alone.past,
    );
    expect(maxAbsDiff(next.logits.subarray(V, 2 * V), aloneNext.logits)).toBeLessThan(1e-4);
  });

  it('onnxruntime-web (WASM) and onnxruntime-node agree within 1e-4 on prefill and a decode step with past', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const web = await ortWeb.InferenceSession.create(readFileSync(m.path('fp32')), {
      executionProviders: ['wasm'],
    });
    const wOrt = ortWeb as unknown as OrtModule;
    const n = PROMPT.length;
    const a = await step(
      session,
      ortNode,
      m.dims,
      [PROMPT],
      [positions(n)],
      [ones(n)],
      emptyPast(ortNode, m.dims),
    );
    const b = await step(
      web as unknown as Session,
      wOrt,
      m.dims,
      [PROMPT],
      [positions(n)],
      [ones(n)],
      emptyPast(wOrt, m.dims),
    );
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-4);
    const a2 = await step(session, ortNode, m.dims, [[9]], [[n]], [ones(n + 1)], a.past);
    const b2 = await step(web as unknown as Session, wOrt, m.dims, [[9]], [[n]], [ones(n + 1)], b.past);
    expect(maxAbsDiff(a2.logits, b2.logits)).toBeLessThan(1e-4);
    await web.release();
  });
});

/**
 * Quantized and half-precision files against fp32 on the same weights: relative L2 error of the logits of a
 * 48-token prompt and the rate at which their argmax agrees. Measured (seed 7): fp16 0.4% / 2.7%, q8 7% / 6%,
 * q4 45% / 42% (llama / qwen2) with top-1 agreement 100/94%, 96/85%, 42/48%. The bounds below leave a margin:
 * fp16 < 5% and >= 90%, q8 < 12% and >= 75%, q4 < 65% and >= 25%. 4-bit weights carry ~6.6% relative
 * error each, and an untrained random network amplifies it (no robust features); that q4 is nonetheless exactly
 * the model of its dequantized weights is checked separately below.
 */
describe('dtypes stay close to fp32', () => {
  const bounds: Record<Exclude<Dtype, 'fp32'>, { rel: number; top1: number }> = {
    fp16: { rel: 0.05, top1: 0.9 },
    q8: { rel: 0.12, top1: 0.75 },
    q4: { rel: 0.65, top1: 0.25 },
  };
  it.each(['tiny-llama', 'tiny-qwen2'] as const)('%s', async (preset) => {
    const m = build(preset, ['fp32', 'fp16', 'q8', 'q4']);
    const prompt = Array.from({ length: 48 }, (_, i) => (i * 37 + 11) % m.shape.vocabSize);
    const run = async (dtype: Dtype) => {
      const s = await ortNode.InferenceSession.create(m.path(dtype));
      const r = await step(
        s,
        ortNode,
        m.dims,
        [prompt],
        [positions(prompt.length)],
        [ones(prompt.length)],
        emptyPast(ortNode, m.dims),
      );
      await s.release();
      return r.logits;
    };
    const base = await run('fp32');
    for (const dtype of ['fp16', 'q8', 'q4'] as const) {
      const l = await run(dtype);
      let num = 0;
      let den = 0;
      for (let i = 0; i < l.length; i++) {
        num += (l[i]! - base[i]!) ** 2;
        den += base[i]! ** 2;
      }
      const V = m.dims.vocabSize;
      let agree = 0;
      for (let t = 0; t < prompt.length; t++)
        if (argmax(l, t * V, (t + 1) * V) === argmax(base, t * V, (t + 1) * V)) agree++;
      const rel = Math.sqrt(num / den);
      const top1 = agree / prompt.length;
      console.log(
        `${preset} ${dtype}: relative logit error ${(rel * 100).toFixed(2)}%, top-1 agreement ${(top1 * 100).toFixed(0)}%`,
      );
      expect(rel).toBeLessThan(bounds[dtype].rel);
      expect(top1).toBeGreaterThanOrEqual(bounds[dtype].top1);
    }
  });
});

describe('q4 (MatMulNBits)', () => {
  it('computes exactly the fp32 model of its dequantized weights (within 1e-4)', async () => {
    const shape = getPreset('tiny-llama').shape;
    const weights = randomWeights(shape, 3);
    const deq: WeightSet = new Map(weights);
    for (const [name, t] of weights) {
      if (!name.endsWith('proj.weight')) continue;
      const K = name.endsWith('down_proj.weight') ? shape.intermediateSize : shape.hiddenSize;
      deq.set(name, dequantizeQ4(quantizeQ4(t, t.length / K, K), t.length / K, K));
    }
    // The q4 file quantizes the tied LM head but keeps the embedding in float: untie to model that exactly.
    const E = weights.get('model.embed_tokens.weight')!;
    deq.set(
      'lm_head.weight',
      dequantizeQ4(quantizeQ4(E, shape.vocabSize, shape.hiddenSize), shape.vocabSize, shape.hiddenSize),
    );
    writeOnnxModel(
      join(dir, 'deq.onnx'),
      buildDecoderGraph({ ...shape, tieWordEmbeddings: false }, deq, { dtype: 'fp32' }),
    );
    writeOnnxModel(join(dir, 'q4.onnx'), buildDecoderGraph(shape, weights, { dtype: 'q4' }));
    const dims = {
      numLayers: shape.numLayers,
      numKvHeads: shape.numKvHeads,
      headDim: headDimOf(shape),
      vocabSize: shape.vocabSize,
    };
    const run = async (file: string) => {
      const s = await ortNode.InferenceSession.create(join(dir, file));
      return (
        await step(
          s,
          ortNode,
          dims,
          [PROMPT],
          [positions(PROMPT.length)],
          [ones(PROMPT.length)],
          emptyPast(ortNode, dims),
        )
      ).logits;
    };
    expect(maxAbsDiff(await run('q4.onnx'), await run('deq.onnx'))).toBeLessThan(1e-4);
  });
});

describe('a shared tied head (the Qwen2.5 export layout)', () => {
  it('computes the logits of a copied head in fp32 and runs in every dtype', async () => {
    const shape = getPreset('tiny-llama').shape;
    const weights = randomWeights(shape, 4);
    const dims = {
      numLayers: shape.numLayers,
      numKvHeads: shape.numKvHeads,
      headDim: headDimOf(shape),
      vocabSize: shape.vocabSize,
    };
    const run = async (dtype: Dtype, tiedHead: 'copy' | 'shared') => {
      const file = join(dir, `head-${dtype}-${tiedHead}.onnx`);
      writeOnnxModel(file, buildDecoderGraph(shape, weights, { dtype, tiedHead }));
      const s = await ortNode.InferenceSession.create(file);
      return (
        await step(
          s,
          ortNode,
          dims,
          [PROMPT],
          [positions(PROMPT.length)],
          [ones(PROMPT.length)],
          emptyPast(ortNode, dims),
        )
      ).logits;
    };
    expect(maxAbsDiff(await run('fp32', 'shared'), await run('fp32', 'copy'))).toBeLessThan(1e-5);
    for (const dtype of ['fp16', 'q8', 'q4'] as const)
      expect(Array.from(await run(dtype, 'shared')).every(Number.isFinite)).toBe(true);
  });
});

/**
 * Seeded random weights for a ModelShape, in Hugging Face names and layout. Each tensor has its own stream
 * (seeded from the model seed and the tensor name), so the bytes do not depend on generation order.
 *
 * Scales follow the usual pre-norm transformer init so activations stay near unit size through any depth:
 * projections reading a normalised input get std 1/sqrt(fan_in); the two projections writing into the residual
 * stream (o_proj, down_proj) are further divided by sqrt(2 * layers), as GPT-2 does. q_proj and k_proj are
 * doubled so attention scores have a std of about 4: with diffuse attention every position sees the same average
 * of the context and greedy generation of an untrained model collapses into one repeated token; sharper
 * attention (as trained models have) keeps it varied. Uniform noise with the
 * target std is used instead of a normal: same scale, ten times faster to draw.
 */
import { ForgeError } from './errors.ts';
import type { ModelShape, WeightSet } from './types.ts';

/** mulberry32: a small, fast 32-bit PRNG; good enough for weights, fully deterministic. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a of the name, mixed with the seed through a murmur3 finaliser. */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `n` values uniform in [mean - std*sqrt(3), mean + std*sqrt(3)) (so their std is `std`). */
export function uniformTensor(seed: number, name: string, n: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  const half = std * Math.sqrt(3);
  const k = (2 * half) / 4294967296;
  const lo = mean - half;
  // mulberry32 inlined (same stream as `mulberry32`): a closure call per value costs 3x.
  let a = streamSeed(seed, name);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + ((t ^ (t >>> 14)) >>> 0) * k;
  }
  return out;
}

export function headDimOf(shape: ModelShape): number {
  return shape.headDim ?? shape.hiddenSize / shape.numHeads;
}

/** Throws a ForgeError when the shape cannot describe a working model. */
export function validateShape(shape: ModelShape): void {
  const bad = (msg: string): never => {
    throw new ForgeError('bad-shape', `Invalid model shape: ${msg}.`);
  };
  for (const k of [
    'vocabSize',
    'hiddenSize',
    'intermediateSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'maxPositionEmbeddings',
  ] as const) {
    if (!Number.isInteger(shape[k]) || shape[k] <= 0)
      bad(`${k} must be a positive integer (got ${shape[k]})`);
  }
  const d = headDimOf(shape);
  if (!Number.isInteger(d) || d % 2 !== 0)
    bad(`head dim ${d} must be an even integer (hiddenSize / numHeads or headDim)`);
  if (shape.numHeads % shape.numKvHeads !== 0)
    bad(`numHeads ${shape.numHeads} must be a multiple of numKvHeads ${shape.numKvHeads}`);
  if (!(shape.ropeTheta > 0) || !(shape.rmsNormEps > 0)) bad('ropeTheta and rmsNormEps must be positive');
  for (const k of ['bosTokenId', 'eosTokenId'] as const) {
    if (!Number.isInteger(shape[k]) || shape[k] < 0 || shape[k] >= shape.vocabSize)
      bad(`${k} ${shape[k]} is outside the vocabulary`);
  }
}

/** Hugging Face weight names and shapes ([out, in] for linear layers) of a model. */
export function weightShapes(shape: ModelShape): Map<string, number[]> {
  const H = shape.hiddenSize;
  const D = headDimOf(shape);
  const q = shape.numHeads * D;
  const kv = shape.numKvHeads * D;
  const I = shape.intermediateSize;
  const m = new Map<string, number[]>();
  m.set('model.embed_tokens.weight', [shape.vocabSize, H]);
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    m.set(`${p}.input_layernorm.weight`, [H]);
    m.set(`${p}.self_attn.q_proj.weight`, [q, H]);
    m.set(`${p}.self_attn.k_proj.weight`, [kv, H]);
    m.set(`${p}.self_attn.v_proj.weight`, [kv, H]);
    if (shape.family === 'qwen2') {
      m.set(`${p}.self_attn.q_proj.bias`, [q]);
      m.set(`${p}.self_attn.k_proj.bias`, [kv]);
      m.set(`${p}.self_attn.v_proj.bias`, [kv]);
    }
    m.set(`${p}.self_attn.o_proj.weight`, [H, q]);
    m.set(`${p}.post_attention_layernorm.weight`, [H]);
    m.set(`${p}.mlp.gate_proj.weight`, [I, H]);
    m.set(`${p}.mlp.up_proj.weight`, [I, H]);
    m.set(`${p}.mlp.down_proj.weight`, [H, I]);
  }
  m.set('model.norm.weight', [H]);
  if (!shape.tieWordEmbeddings) m.set('lm_head.weight', [shape.vocabSize, H]);
  return m;
}

/** Embedding std; the final norm weight is set so that logits have a std of about 2 either way. */
const EMBED_STD = 0.02;

export function randomWeights(shape: ModelShape, seed: number): WeightSet {
  validateShape(shape);
  const residualScale = 1 / Math.sqrt(2 * shape.numLayers);
  const lmHeadStd = shape.tieWordEmbeddings ? EMBED_STD : 1 / Math.sqrt(shape.hiddenSize);
  // logits = norm(h) . lm_head; norm(h) has RMS ~ finalNorm, so logit std ~ finalNorm * lmHeadStd * sqrt(H).
  const finalNorm = 2 / (lmHeadStd * Math.sqrt(shape.hiddenSize));
  const weights: WeightSet = new Map();
  for (const [name, dims] of weightShapes(shape)) {
    const n = dims.reduce((a, b) => a * b, 1);
    let std: number;
    let mean = 0;
    if (name === 'model.embed_tokens.weight') std = EMBED_STD;
    else if (name === 'lm_head.weight') std = lmHeadStd;
    else if (name === 'model.norm.weight') {
      mean = finalNorm;
      std = 0.1 * finalNorm;
    } else if (name.endsWith('layernorm.weight')) {
      mean = 1;
      std = 0.1;
    } else if (name.endsWith('.bias')) std = 0.05;
    else {
      std = 1 / Math.sqrt(dims[1]!);
      if (name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight')) std *= residualScale;
      if (name.endsWith('q_proj.weight') || name.endsWith('k_proj.weight')) std *= 2;
    }
    weights.set(name, uniformTensor(seed, name, n, std, mean));
  }
  return weights;
}

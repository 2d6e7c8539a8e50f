/**
 * Sizes a model will take, estimated from its architecture (config.json numbers) when the catalog has no exact
 * file sizes yet. Calibrated on published ONNX exports: SmolLM2-135M-Instruct's model.onnx 654 MB, model_fp16
 * 327 MB, model_q4 200 MB, model_q4f16 134 MB (estimates 651, 326, 197, 132 MB; its tied LM head is stored as a
 * copy), and Qwen2.5-0.5B-Instruct's 1.99 GB / 786 MB / 512 MB for fp32 / q4 / q8 (estimates 1.98 GB, 768 MB,
 * 494 MB; its tied head shares the embedding) — the forge's exports match the same sizes.
 */

/** The dtypes transformers.js exports publish (`onnx/model{suffix}.onnx`). */
export const ONNX_DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type OnnxDtype = (typeof ONNX_DTYPES)[number];

export const ONNX_FILE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
} as const satisfies Record<OnnxDtype, string>;

/**
 * Bytes per weight as the published exports store them: the linear layers (MatMul / MatMulNBits with a scale per
 * block of 32) and the embedding table (Gather: 8-bit in the q8 export, unquantized in q4), and bytes per KV-cache
 * value at run time.
 */
export const DTYPE_BYTES = {
  fp32: { linear: 4, embedding: 4, kv: 4 },
  fp16: { linear: 2, embedding: 2, kv: 2 },
  q8: { linear: 1, embedding: 1, kv: 4 },
  q4: { linear: 0.5 + 4 / 32, embedding: 4, kv: 4 },
  q4f16: { linear: 0.5 + 2 / 32, embedding: 2, kv: 2 },
} as const satisfies Record<OnnxDtype, { linear: number; embedding: number; kv: number }>;

/** Numbers from the model's config.json. */
export interface Architecture {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** When not hidden / heads (Gemma 2). */
  headDim?: number;
  tiedEmbeddings: boolean;
  /** The export reuses the embedding for a tied LM head (Qwen2.5) instead of storing a copy (SmolLM2). */
  sharedTiedHead?: boolean;
}

/** ONNX Runtime, its WASM heap and the activations of one prompt, on top of the weights and KV cache. */
export const RUNTIME_OVERHEAD_BYTES = 150e6;
/** Tokens of KV cache memory is budgeted for (a long chat; the context can be larger). */
export const KV_BUDGET_TOKENS = 4096;

export function embeddingParams(arch: Architecture): number {
  return arch.vocabSize * arch.hiddenSize;
}

/** Bytes of `onnx/model{suffix}.onnx` (+ external data) for a model of this size. */
export function estimateWeightBytes(paramCount: number, arch: Architecture | null, dtype: OnnxDtype): number {
  const bytes = DTYPE_BYTES[dtype];
  if (!arch) return Math.round(paramCount * bytes.linear * 1.1);
  const embed = embeddingParams(arch);
  // A tied lm_head is usually exported as its own MatMul, so the embedding's weights are stored twice.
  const linear = paramCount - embed + (arch.tiedEmbeddings && !arch.sharedTiedHead ? embed : 0);
  return Math.round(embed * bytes.embedding + linear * bytes.linear);
}

export function estimateKvCacheBytes(arch: Architecture | null, tokens: number, dtype: OnnxDtype): number {
  if (!arch) return 0;
  const headDim = arch.headDim ?? arch.hiddenSize / arch.heads;
  return 2 * arch.layers * arch.kvHeads * headDim * tokens * DTYPE_BYTES[dtype].kv;
}

/** Memory the running model needs: weights, a KV cache for `KV_BUDGET_TOKENS` (or the context), overhead. */
export function estimateRuntimeBytes(
  paramCount: number,
  arch: Architecture | null,
  dtype: OnnxDtype,
  contextLength: number,
  weightBytes = estimateWeightBytes(paramCount, arch, dtype),
): number {
  const tokens = Math.min(contextLength, KV_BUDGET_TOKENS);
  return weightBytes + estimateKvCacheBytes(arch, tokens, dtype) + RUNTIME_OVERHEAD_BYTES;
}

/** The largest single weight (one GPU buffer on WebGPU): the embedding table, or the largest linear layer. */
export function estimateLargestTensorBytes(arch: Architecture | null, dtype: OnnxDtype): number {
  if (!arch) return 0;
  const embed = embeddingParams(arch);
  return Math.max(embed * DTYPE_BYTES[dtype].embedding, embed * DTYPE_BYTES[dtype].linear);
}

/** tokenizer.json grows with the vocabulary: SmolLM2 (49k tokens) 2.1 MB, Qwen2.5 (152k) 7 MB, Llama 3 (128k) 9 MB. */
export function estimateTokenizerBytes(arch: Architecture | null): number {
  return arch ? arch.vocabSize * 70 : 8e6;
}

/**
 * Memory a model adds to the browser at its peak (PSS over an idle tab, load and generation), measured by
 * `npm run bench` on WASM (BENCHMARKS.md, 2026-12-03, weights passed to ONNX Runtime as external data): a fixed
 * part for ONNX Runtime, its threads and transformers.js (about 200 MB even for a model of 0.3 MB), plus a multiple
 * of the file (the file's buffer while ORT copies it into its tensors, the tensors, activations and a KV cache):
 * SmolLM2-135M fp32 652 MB → 1.78 GB, q8 164 MB → 575 MB, q4 198 MB (run as its q8 rewrite) → 723 MB.
 * Kept although later loads now stream the weights from the store and peak lower: the first load after a download
 * still reads the file whole to split it (and a q4 file to rewrite it), and it must fit too.
 */
export const MEASURED_PEAK_FIXED_BYTES = 200e6;
export const MEASURED_PEAK_FACTOR = {
  fp32: 2.5,
  fp16: 2.5,
  q8: 2.3,
  q4: 2.7,
  q4f16: 2.7,
} as const satisfies Record<OnnxDtype, number>;

/** The peak memory a model file of this size and dtype adds to the tab, from the bench's measurements. */
export function estimatePeakBytes(fileBytes: number, dtype: OnnxDtype): number {
  return Math.round(MEASURED_PEAK_FIXED_BYTES + fileBytes * MEASURED_PEAK_FACTOR[dtype]);
}

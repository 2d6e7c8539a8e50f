/**
 * The contract between the parts of the forge: a model is a shape, a set of weights named as in Hugging Face
 * checkpoints, and tokenizer files. `writeModelFolder` (forge.ts) turns those into the transformers.js layout.
 */

export type Family = 'llama' | 'qwen2';

export const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
export type Dtype = (typeof DTYPES)[number];

/** File name suffix of `onnx/model{suffix}.onnx` per dtype, as transformers.js expects. */
export const DTYPE_SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4' };

export interface ModelShape {
  family: Family;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Defaults to hiddenSize / numHeads. */
  headDim?: number;
  maxPositionEmbeddings: number;
  ropeTheta: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number;
  eosTokenId: number;
}

/**
 * Weights by Hugging Face name, row-major float32, in Hugging Face layout (Linear weights are [out, in]):
 *   model.embed_tokens.weight                         [vocab, hidden]
 *   model.layers.{i}.input_layernorm.weight           [hidden]
 *   model.layers.{i}.self_attn.{q,k,v,o}_proj.weight  [out, in]
 *   model.layers.{i}.self_attn.{q,k,v}_proj.bias      [out]            (qwen2 only)
 *   model.layers.{i}.post_attention_layernorm.weight  [hidden]
 *   model.layers.{i}.mlp.{gate,up,down}_proj.weight   [out, in]
 *   model.norm.weight                                 [hidden]
 *   lm_head.weight                                    [vocab, hidden]  (only when not tied)
 * Rotary embedding follows Hugging Face: halves (i, i + headDim/2) are rotated together.
 */
export type WeightSet = Map<string, Float32Array>;

export interface TokenizerFiles {
  /** The contents of tokenizer.json. */
  tokenizer: Record<string, unknown>;
  /** The contents of tokenizer_config.json; must hold `chat_template`. */
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
}

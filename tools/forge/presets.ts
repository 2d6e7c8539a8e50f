/**
 * Named model shapes. The big ones copy the config.json of the published checkpoints:
 * - HuggingFaceTB/SmolLM2-135M(-Instruct): hidden 576, 30 layers, 9 heads, 3 KV heads, MLP 1536, vocab 49152,
 *   tied, rope_theta 100000, max_position_embeddings 8192, rms_norm_eps 1e-5, bos 1 / eos 2 (Instruct).
 * - HuggingFaceTB/SmolLM2-360M(-Instruct): hidden 960, 32 layers, 15 heads, 5 KV heads, MLP 2560, vocab 49152,
 *   tied, rope_theta 100000, max_position_embeddings 8192.
 * - Qwen/Qwen2.5-0.5B(-Instruct): hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864, vocab 151936 (the
 *   tokenizer has 151665 tokens; the rest is padding), tied, q/k/v bias, rope_theta 1e6, max 32768, eps 1e-6,
 *   bos 151643 / eos 151645.
 * A tied head is stored as its own weight in the SmolLM2 exports (model.onnx 654 MB) and shared with the
 * embedding in the Qwen2.5 ones (model.onnx 1.99 GB, one file; model_q4.onnx 786 MB with a float head).
 * The tiny ones are for fast tests: a few hundred thousand parameters, same architecture and file layout.
 */
import { ForgeError } from './errors.ts';
import type { TokenizerName } from './tokenizers.ts';
import type { ModelShape } from './types.ts';

export interface Preset {
  shape: ModelShape;
  /** The tokenizer the real model uses; `smollm` falls back to a generated BPE when ../shared is absent. */
  tokenizer: TokenizerName;
  /** How the published export stores a tied LM head (see DecoderGraphOptions.tiedHead). */
  tiedHead: 'copy' | 'shared';
  description: string;
}

export const PRESETS = {
  'tiny-llama': {
    description: 'tiny llama for tests: hidden 64, 2 layers, 4 heads / 2 KV heads, vocab 1024, tied',
    tokenizer: 'bpe',
    tiedHead: 'copy',
    shape: {
      family: 'llama',
      vocabSize: 1024,
      hiddenSize: 64,
      intermediateSize: 172,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      maxPositionEmbeddings: 2048,
      ropeTheta: 10000,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: true,
      bosTokenId: 1,
      eosTokenId: 2,
    },
  },
  'tiny-qwen2': {
    description:
      'tiny qwen2 for tests: hidden 64, 2 layers, 4 heads / 1 KV head, q/k/v bias, vocab 1536, untied',
    tokenizer: 'bpe',
    tiedHead: 'copy',
    shape: {
      family: 'qwen2',
      vocabSize: 1536,
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 1,
      maxPositionEmbeddings: 4096,
      ropeTheta: 1000000,
      rmsNormEps: 1e-6,
      tieWordEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
    },
  },
  'smollm2-135m': {
    description: 'the shape of HuggingFaceTB/SmolLM2-135M-Instruct (135M parameters)',
    tokenizer: 'smollm',
    tiedHead: 'copy',
    shape: {
      family: 'llama',
      vocabSize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      maxPositionEmbeddings: 8192,
      ropeTheta: 100000,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: true,
      bosTokenId: 1,
      eosTokenId: 2,
    },
  },
  'smollm2-360m': {
    description: 'the shape of HuggingFaceTB/SmolLM2-360M-Instruct (362M parameters)',
    tokenizer: 'smollm',
    tiedHead: 'copy',
    shape: {
      family: 'llama',
      vocabSize: 49152,
      hiddenSize: 960,
      intermediateSize: 2560,
      numLayers: 32,
      numHeads: 15,
      numKvHeads: 5,
      maxPositionEmbeddings: 8192,
      ropeTheta: 100000,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: true,
      bosTokenId: 1,
      eosTokenId: 2,
    },
  },
  'qwen2.5-0.5b': {
    description: 'the shape of Qwen/Qwen2.5-0.5B-Instruct (494M parameters)',
    tokenizer: 'qwen2.5',
    tiedHead: 'shared',
    shape: {
      family: 'qwen2',
      vocabSize: 151936,
      hiddenSize: 896,
      intermediateSize: 4864,
      numLayers: 24,
      numHeads: 14,
      numKvHeads: 2,
      maxPositionEmbeddings: 32768,
      ropeTheta: 1000000,
      rmsNormEps: 1e-6,
      tieWordEmbeddings: true,
      bosTokenId: 151643,
      eosTokenId: 151645,
    },
  },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function getPreset(name: string): Preset {
  if (!(name in PRESETS))
    throw new ForgeError(
      'unknown-preset',
      `Unknown preset "${name}"; use one of ${PRESET_NAMES.join(', ')}.`,
    );
  const p = PRESETS[name as PresetName];
  return { ...p, shape: { ...p.shape } };
}

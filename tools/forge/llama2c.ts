/**
 * Converter for karpathy/llama2.c checkpoints (`stories260K.bin` + `tok512.bin`, formats in
 * ../shared/fixtures/README.md) into the forge contract: a Hugging Face llama ModelShape, weights in Hugging Face
 * naming and layout, and a tokenizer.json that encodes exactly as run.c's encode() does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { forgeCached, type CachedModel } from './cache.ts';
import { ForgeError } from './errors.ts';
import { writeModelFolder, type ForgedFolder, type ModelSource } from './forge.ts';
import { FIXTURES_DIR } from './tokenizers.ts';
import type { Dtype, ModelShape, TokenizerFiles, WeightSet } from './types.ts';

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** True when the classifier is the token embedding (vocab_size stored positive). */
  sharedClassifier: boolean;
}

/** The raw llama2.c arrays, in llama2.c layout (rotary on interleaved pairs). */
export interface Llama2cWeights {
  tokenEmbedding: Float32Array; // [vocab, dim]
  rmsAtt: Float32Array; // [layers, dim]
  wq: Float32Array; // [layers, dim, dim]
  wk: Float32Array; // [layers, kvDim, dim]
  wv: Float32Array; // [layers, kvDim, dim]
  wo: Float32Array; // [layers, dim, dim]
  rmsFfn: Float32Array; // [layers, dim]
  w1: Float32Array; // [layers, hidden, dim]
  w2: Float32Array; // [layers, dim, hidden]
  w3: Float32Array; // [layers, hidden, dim]
  rmsFinal: Float32Array; // [dim]
  wcls: Float32Array; // [vocab, dim] (the embedding when shared)
}

export interface Llama2cCheckpoint {
  config: Llama2cConfig;
  weights: Llama2cWeights;
}

export interface Llama2cTokenizer {
  maxTokenLength: number;
  /** Token bytes as stored (spaces as 0x20; BOS/EOS as "\n<s>\n" / "\n</s>\n"). */
  pieces: Uint8Array[];
  scores: Float32Array;
}

export const STORIES_FILES = { checkpoint: 'stories260K.bin', tokenizer: 'tok512.bin' } as const;
/** `../shared/fixtures/llama2c` from the repository root. */
export const LLAMA2C_FIXTURES_DIR = path.join(FIXTURES_DIR, 'llama2c');
export const STORIES_MODEL_ID = 'petit/stories260K';
/**
 * run.c stops when the model picks BOS (TinyStories separates stories with BOS and has no EOS), so generation
 * stops at BOS as well as at the real EOS.
 */
export const STORIES_EOS_TOKEN_IDS = [2, 1];
/** Bump when the converter's output changes, so cached conversions are redone. */
export const LLAMA2C_CONVERTER_VERSION = '1';
const HEADER_BYTES = 7 * 4;

/** Parses a llama2.c version-0 checkpoint (seven int32 then float32 arrays). */
export function readLlama2cCheckpoint(bytes: Uint8Array): Llama2cCheckpoint {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new ForgeError(
      'bad-shape',
      `llama2.c checkpoint is ${bytes.byteLength} bytes, too short for its header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = h;
  const vocabSize = Math.abs(rawVocab);
  if (
    [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen].some((v) => !(v > 0)) ||
    dim % nHeads !== 0
  ) {
    throw new ForgeError(
      'bad-shape',
      `not a llama2.c version-0 checkpoint (header ${h.join(', ')}); export it with llama2.c's legacy format`,
    );
  }
  const headSize = dim / nHeads;
  const kvDim = (dim * nKvHeads) / nHeads;
  const sizes = {
    tokenEmbedding: vocabSize * dim,
    rmsAtt: nLayers * dim,
    wq: nLayers * dim * dim,
    wk: nLayers * kvDim * dim,
    wv: nLayers * kvDim * dim,
    wo: nLayers * dim * dim,
    rmsFfn: nLayers * dim,
    w1: nLayers * hiddenDim * dim,
    w2: nLayers * dim * hiddenDim,
    w3: nLayers * hiddenDim * dim,
    rmsFinal: dim,
  };
  const ropeTables = seqLen * headSize; // two tables of seq_len * head_size / 2, skipped
  const sharedClassifier = rawVocab > 0;
  const floats =
    Object.values(sizes).reduce((a, b) => a + b, 0) + ropeTables + (sharedClassifier ? 0 : vocabSize * dim);
  const expected = HEADER_BYTES + floats * 4;
  if (bytes.byteLength !== expected) {
    throw new ForgeError(
      'bad-shape',
      `llama2.c checkpoint is ${bytes.byteLength} bytes but its header (${h.join(', ')}) implies ${expected}: ` +
        'the file is truncated or not a version-0 checkpoint',
    );
  }
  // Copy out so the arrays are aligned whatever the source buffer's offset.
  const all = new Float32Array(floats);
  new Uint8Array(all.buffer).set(bytes.subarray(HEADER_BYTES));
  let offset = 0;
  const take = (n: number) => all.subarray(offset, (offset += n));
  const w = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, take(n)])) as Record<
    keyof typeof sizes,
    Float32Array
  >;
  take(ropeTables);
  const wcls = sharedClassifier ? w.tokenEmbedding : take(vocabSize * dim);
  return {
    config: { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier },
    weights: { ...w, wcls },
  };
}

/** Parses a llama2.c tokenizer file: int32 max_token_length, then per token float32 score, int32 length, bytes. */
export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): Llama2cTokenizer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) =>
    new ForgeError(
      'bad-shape',
      `llama2.c tokenizer file is malformed (${why}); pass the tok*.bin made for this model`,
    );
  if (bytes.byteLength < 4) throw bad('shorter than its header');
  const maxTokenLength = view.getInt32(0, true);
  const pieces: Uint8Array[] = [];
  const scores = new Float32Array(vocabSize);
  let o = 4;
  for (let i = 0; i < vocabSize; i++) {
    if (o + 8 > bytes.byteLength) throw bad(`ends at token ${i} of ${vocabSize}`);
    scores[i] = view.getFloat32(o, true);
    const len = view.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || o + len > bytes.byteLength) throw bad(`token ${i} has length ${len}`);
    pieces.push(bytes.slice(o, o + len));
    o += len;
  }
  if (o !== bytes.byteLength) throw bad(`${bytes.byteLength - o} bytes left after ${vocabSize} tokens`);
  return { maxTokenLength, pieces, scores };
}

/**
 * llama2.c rotates interleaved pairs (2i, 2i+1) of each head; Hugging Face rotates halves (i, i + headSize/2).
 * Row h*hs + 2i + j of llama2.c becomes row h*hs + j*hs/2 + i (as transformers' convert_llama_weights_to_hf).
 */
export function interleavedToHalves(
  w: Float32Array,
  nHeads: number,
  headSize: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headSize / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * headSize + 2 * i + j) * cols;
        const dst = (h * headSize + j * half + i) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

export function llama2cToShape(config: Llama2cConfig): ModelShape {
  return {
    family: 'llama',
    vocabSize: config.vocabSize,
    hiddenSize: config.dim,
    intermediateSize: config.hiddenDim,
    numLayers: config.nLayers,
    numHeads: config.nHeads,
    numKvHeads: config.nKvHeads,
    headDim: config.dim / config.nHeads,
    maxPositionEmbeddings: config.seqLen,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: config.sharedClassifier,
    bosTokenId: 1,
    eosTokenId: 2,
  };
}

export function llama2cToWeights({ config, weights: w }: Llama2cCheckpoint): WeightSet {
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads } = config;
  const hs = dim / nHeads;
  const kvDim = nKvHeads * hs;
  const layer = (a: Float32Array, i: number, n: number) => a.slice(i * n, (i + 1) * n);
  const out: WeightSet = new Map();
  out.set('model.embed_tokens.weight', w.tokenEmbedding.slice());
  for (let i = 0; i < nLayers; i++) {
    const p = `model.layers.${i}`;
    out.set(`${p}.input_layernorm.weight`, layer(w.rmsAtt, i, dim));
    out.set(`${p}.self_attn.q_proj.weight`, interleavedToHalves(layer(w.wq, i, dim * dim), nHeads, hs, dim));
    out.set(
      `${p}.self_attn.k_proj.weight`,
      interleavedToHalves(layer(w.wk, i, kvDim * dim), nKvHeads, hs, dim),
    );
    out.set(`${p}.self_attn.v_proj.weight`, layer(w.wv, i, kvDim * dim));
    out.set(`${p}.self_attn.o_proj.weight`, layer(w.wo, i, dim * dim));
    out.set(`${p}.post_attention_layernorm.weight`, layer(w.rmsFfn, i, dim));
    out.set(`${p}.mlp.gate_proj.weight`, layer(w.w1, i, hiddenDim * dim));
    out.set(`${p}.mlp.up_proj.weight`, layer(w.w3, i, hiddenDim * dim));
    out.set(`${p}.mlp.down_proj.weight`, layer(w.w2, i, dim * hiddenDim));
  }
  out.set('model.norm.weight', w.rmsFinal.slice());
  if (!config.sharedClassifier) out.set('lm_head.weight', w.wcls.slice());
  return out;
}

const SPACE = '\u2581';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

/** Hugging Face piece string of a llama2.c token: spaces as U+2581, specials by their sentencepiece names. */
function hfPiece(id: number, bytes: Uint8Array): string {
  if (id === 0) return '<unk>';
  if (id === 1) return '<s>';
  if (id === 2) return '</s>';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ForgeError(
      'bad-shape',
      `llama2.c token ${id} is not valid UTF-8; only sentencepiece-exported vocabularies are supported`,
    );
  }
  return text.replaceAll(' ', SPACE);
}

/**
 * A tokenizer.json whose BPE reproduces run.c's encode(): every split (a, b) of a vocabulary piece into two
 * vocabulary pieces is a merge, ranked by the merged piece's score (highest first). The tokenizers library then
 * merges, at each step, the adjacent pair of best rank, leftmost first — what run.c does by score. Characters
 * outside the vocabulary never take part in a merge and fall back to <0xNN> byte tokens, as in run.c.
 */
export function llama2cTokenizerJson(tok: Llama2cTokenizer): Record<string, unknown> {
  const pieces = tok.pieces.map((b, id) => hfPiece(id, b));
  const vocab: Record<string, number> = {};
  pieces.forEach((p, id) => {
    if (p in vocab)
      throw new ForgeError('bad-shape', `llama2.c tokenizer has the piece ${JSON.stringify(p)} twice`);
    vocab[p] = id;
  });
  for (let b = 0; b < 256; b++) {
    const name = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (vocab[name] !== b + 3) {
      throw new ForgeError(
        'bad-shape',
        `llama2.c tokenizer lacks byte token ${name} at id ${b + 3}; run.c's byte fallback needs it`,
      );
    }
  }
  const merges: { a: string; b: string; score: number; id: number; split: number }[] = [];
  pieces.forEach((p, id) => {
    if (id < 3 || BYTE_PIECE.test(p)) return;
    const chars = Array.from(p);
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join('');
      const b = chars.slice(k).join('');
      // Specials and byte tokens have other strings in run.c's vocabulary, so they never combine.
      if ((vocab[a] ?? 0) >= 3 && (vocab[b] ?? 0) >= 3 && !BYTE_PIECE.test(a) && !BYTE_PIECE.test(b)) {
        merges.push({ a, b, score: tok.scores[id], id, split: k });
      }
    }
  });
  // run.c keeps the first pair of highest score (strict >); ties between different pieces would need positions.
  merges.sort((x, y) => y.score - x.score || x.id - y.id || x.split - y.split);
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    // run.c: dummy prefix space on non-empty text, spaces as U+2581, no splitting before the merges.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: SPACE },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        // The dummy prefix: run.c drops the space of the first piece after BOS.
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: merges.map((m) => [m.a, m.b]),
    },
  };
}

/**
 * A base story model has no chat format: the prompt is BOS then the messages' contents, so a user who types
 * "Once upon a time" gets the story continued exactly as `run stories260K.bin -t 0 -i "Once upon a time"`.
 */
export const STORY_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% endfor %}";

export function llama2cTokenizerFiles(tok: Llama2cTokenizer, maxLength: number): TokenizerFiles {
  return {
    tokenizer: llama2cTokenizerJson(tok),
    tokenizerConfig: {
      tokenizer_class: 'LlamaTokenizer',
      add_bos_token: true,
      add_eos_token: false,
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      pad_token: null,
      clean_up_tokenization_spaces: false,
      legacy: true,
      model_max_length: maxLength,
      chat_template: STORY_CHAT_TEMPLATE,
    },
    specialTokensMap: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
  };
}

export interface Llama2cModel {
  shape: ModelShape;
  weights: WeightSet;
  tokenizer: TokenizerFiles;
  checkpoint: Llama2cCheckpoint;
  llama2cTokenizer: Llama2cTokenizer;
}

/** Reads `<dir>/stories260K.bin` and `<dir>/tok512.bin` (dir = ../shared/fixtures/llama2c) and converts them. */
export function convertLlama2c(
  dir: string,
  files: { checkpoint: string; tokenizer: string } = STORIES_FILES,
): Llama2cModel {
  const ckptPath = path.join(dir, files.checkpoint);
  const tokPath = path.join(dir, files.tokenizer);
  for (const p of [ckptPath, tokPath]) {
    if (!existsSync(p)) {
      throw new ForgeError(
        'fixture-missing',
        `${p} not found: the llama2.c fixtures live in ../shared/fixtures/llama2c (see its README); pass that folder`,
      );
    }
  }
  const checkpoint = readLlama2cCheckpoint(readFileSync(ckptPath));
  const llama2cTokenizer = readLlama2cTokenizer(readFileSync(tokPath), checkpoint.config.vocabSize);
  return {
    shape: llama2cToShape(checkpoint.config),
    weights: llama2cToWeights(checkpoint),
    tokenizer: llama2cTokenizerFiles(llama2cTokenizer, checkpoint.config.seqLen),
    checkpoint,
    llama2cTokenizer,
  };
}

export function llama2cFixturesAvailable(dir = LLAMA2C_FIXTURES_DIR): boolean {
  return (
    existsSync(path.join(dir, STORIES_FILES.checkpoint)) &&
    existsSync(path.join(dir, STORIES_FILES.tokenizer))
  );
}

/** A forge `ModelSource` for `forge`/`forgeCached`: keyed by the files' content, so a changed file re-forges. */
export function llama2cSource(dir = LLAMA2C_FIXTURES_DIR): ModelSource {
  const hash = (f: string) => {
    const p = path.join(dir, f);
    if (!existsSync(p)) return 'missing';
    return createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
  };
  return {
    key: `llama2c:v${LLAMA2C_CONVERTER_VERSION}:${hash(STORIES_FILES.checkpoint)}:${hash(STORIES_FILES.tokenizer)}`,
    load: async () => {
      const { shape, weights, tokenizer } = convertLlama2c(dir);
      return { shape, weights, tokenizer, eosTokenIds: STORIES_EOS_TOKEN_IDS };
    },
  };
}

/** Converts the fixtures in `fixturesDir` and writes the model folder (transformers.js layout) at `outDir`. */
export function forgeStories260K(
  outDir: string,
  dtypes: readonly Dtype[],
  fixturesDir = LLAMA2C_FIXTURES_DIR,
): ForgedFolder {
  const { shape, weights, tokenizer } = convertLlama2c(fixturesDir);
  return writeModelFolder(outDir, {
    shape,
    weights,
    tokenizer,
    dtypes,
    modelId: STORIES_MODEL_ID,
    eosTokenIds: STORIES_EOS_TOKEN_IDS,
  });
}

/** The converted stories260K in the forge cache (`.cache/forge/<key>/petit/stories260K`), forged once. */
export function forgeStories260KCached(
  dtypes: readonly Dtype[],
  options: { fixturesDir?: string; cacheRoot?: string } = {},
): Promise<CachedModel> {
  const dir = options.fixturesDir ?? LLAMA2C_FIXTURES_DIR;
  if (!llama2cFixturesAvailable(dir)) {
    throw new ForgeError(
      'fixture-missing',
      `${dir} lacks ${STORIES_FILES.checkpoint} and ${STORIES_FILES.tokenizer}: put the shared fixtures at ../shared/fixtures`,
    );
  }
  return forgeCached(
    { source: llama2cSource(dir), dtypes, modelId: STORIES_MODEL_ID },
    options.cacheRoot ? { cacheRoot: options.cacheRoot } : {},
  );
}

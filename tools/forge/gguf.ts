/**
 * A GGUF v3 writer for the llama and qwen2 families, so llama.cpp-based peers (node-llama-cpp, wllama) run on the
 * very weights the ONNX models carry. Tensors in F32, F16, Q8_0 or Q4_0 with ggml's block layouts (reference
 * quantizers of ggml-quants.c); names, metadata and the Q/K row order as llama.cpp's convert_hf_to_gguf.py writes
 * them. Format: github.com/ggml-org/ggml docs/gguf.md.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { ForgeError } from './errors.ts';
import type { TokenizerName } from './tokenizers.ts';
import type { ModelShape, TokenizerFiles, WeightSet } from './types.ts';

export const GGUF_TYPES = ['F32', 'F16', 'Q8_0', 'Q4_0'] as const;
export type GgufType = (typeof GGUF_TYPES)[number];

/** ggml_type ids. */
const GGML_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };
/** llama_ftype ids for general.file_type. */
const FILE_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };
const QK = 32;
const ALIGNMENT = 32;

/** llama.cpp's pre-tokenizer (regex set) for each byte-level tokenizer the forge knows. */
export const LLAMA_CPP_PRE: Record<TokenizerName, string> = {
  bpe: 'gpt-2',
  smollm: 'smollm',
  'qwen2.5': 'qwen2',
  'llama3.2': 'llama-bpe',
};

/** llama.cpp token types (tokenizer.ggml.token_type). */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export type GgufTokenizer =
  | {
      /** sentencepiece-style: pieces with U+2581 for spaces, merged greedily by score, byte fallback. */
      model: 'llama';
      tokens: string[];
      scores: number[];
      types: number[];
      bos: number;
      eos: number;
      unk: number;
      pad?: number;
      addBos: boolean;
      chatTemplate?: string;
    }
  | {
      /** Byte-level BPE (GPT-2 style): tokens and merges; `pre` names llama.cpp's pre-tokenizer regex set. */
      model: 'gpt2';
      pre: string;
      tokens: string[];
      merges: string[];
      types: number[];
      bos: number;
      eos: number;
      pad?: number;
      addBos: boolean;
      chatTemplate?: string;
    };

// ---------------------------------------------------------------------------------------------------------------
// Numbers

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round to nearest even (as the F16C instruction ggml uses). */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** C's roundf: halves away from zero. */
const roundf = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

/** ggml quantize_row_q8_0_ref: per 32 values, fp16 d = amax/127, then 32 int8 round(x/d). 34 bytes a block. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % QK !== 0)
    throw new ForgeError('bad-shape', `Q8_0 needs a multiple of ${QK} values, got ${x.length}`);
  const nb = x.length / QK;
  const out = new Uint8Array(nb * 34);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[b * QK + j]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    dv.setUint16(b * 34, f32ToF16Bits(d), true);
    for (let j = 0; j < QK; j++) dv.setInt8(b * 34 + 2 + j, roundf(Math.fround(x[b * QK + j] * id)));
  }
  return out;
}

/**
 * ggml quantize_row_q4_0_ref: per 32 values, fp16 d = max/-8 (max = the value of largest magnitude), nibbles
 * q = min(15, trunc(x/d + 8.5)); byte j holds value j in its low nibble and value j+16 in its high one. 18 bytes.
 */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  if (x.length % QK !== 0)
    throw new ForgeError('bad-shape', `Q4_0 needs a multiple of ${QK} values, got ${x.length}`);
  const nb = x.length / QK;
  const out = new Uint8Array(nb * 18);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[b * QK + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    dv.setUint16(b * 18, f32ToF16Bits(d), true);
    for (let j = 0; j < QK / 2; j++) {
      const q0 = Math.min(15, Math.trunc(Math.fround(Math.fround(x[b * QK + j] * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(Math.fround(Math.fround(x[b * QK + QK / 2 + j] * id) + 8.5)));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

export function dequantizeQ8_0(data: Uint8Array): Float32Array {
  const nb = data.length / 34;
  const out = new Float32Array(nb * QK);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let b = 0; b < nb; b++) {
    const d = f16BitsToF32(dv.getUint16(b * 34, true));
    for (let j = 0; j < QK; j++) out[b * QK + j] = d * dv.getInt8(b * 34 + 2 + j);
  }
  return out;
}

export function dequantizeQ4_0(data: Uint8Array): Float32Array {
  const nb = data.length / 18;
  const out = new Float32Array(nb * QK);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let b = 0; b < nb; b++) {
    const d = f16BitsToF32(dv.getUint16(b * 18, true));
    for (let j = 0; j < QK / 2; j++) {
      const byte = data[b * 18 + 2 + j];
      out[b * QK + j] = ((byte & 0x0f) - 8) * d;
      out[b * QK + QK / 2 + j] = ((byte >> 4) - 8) * d;
    }
  }
  return out;
}

function encodeTensor(type: GgufType, x: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    case 'F16': {
      const h = new Uint16Array(x.length);
      for (let i = 0; i < x.length; i++) h[i] = f32ToF16Bits(x[i]);
      return new Uint8Array(h.buffer);
    }
    case 'Q8_0':
      return quantizeQ8_0(x);
    case 'Q4_0':
      return quantizeQ4_0(x);
  }
}

function tensorBytes(type: GgufType, n: number): number {
  return type === 'F32' ? n * 4 : type === 'F16' ? n * 2 : type === 'Q8_0' ? (n / QK) * 34 : (n / QK) * 18;
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizers

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

interface HfAddedToken {
  id: number;
  content: string;
  special?: boolean;
}

function tokenId(files: TokenizerFiles, key: string, vocab: Map<string, number>): number | undefined {
  const v = files.tokenizerConfig[key];
  const content = typeof v === 'string' ? v : (v as { content?: string } | null | undefined)?.content;
  return content === undefined ? undefined : vocab.get(content);
}

/**
 * The GGUF tokenizer of a Hugging Face tokenizer.json: `gpt2` for byte-level BPE, `llama` for sentencepiece-style
 * BPE with byte fallback. A `llama` tokenizer needs scores: pass them (the llama2.c file has them), or they are
 * derived from the merge ranks (the first merge that makes a piece ranks it), which orders merges the same way.
 */
export function ggufTokenizerFromHf(
  files: TokenizerFiles,
  options: { vocabSize: number; scores?: ArrayLike<number>; pre?: string },
): GgufTokenizer {
  const tj = files.tokenizer as {
    model?: {
      type?: string;
      vocab?: Record<string, number>;
      merges?: (string | [string, string])[];
      byte_fallback?: boolean;
    };
    added_tokens?: HfAddedToken[];
    pre_tokenizer?: unknown;
    decoder?: unknown;
  };
  const model = tj.model;
  if (model?.type !== 'BPE' || !model.vocab || !model.merges) {
    throw new ForgeError(
      'unknown-tokenizer',
      `GGUF export handles BPE tokenizer.json files only, got ${model?.type ?? 'none'}`,
    );
  }
  const size = options.vocabSize;
  const tokens: string[] = Array.from({ length: size }, (_, i) => `[PAD${i}]`);
  const types: number[] = new Array<number>(size).fill(TokenType.unused);
  const vocab = new Map<string, number>();
  const put = (content: string, id: number, type: number) => {
    if (id >= size) {
      throw new ForgeError(
        'tokenizer-too-large',
        `token ${JSON.stringify(content)} has id ${id} >= the model's vocabulary ${size}`,
      );
    }
    tokens[id] = content;
    types[id] = type;
    vocab.set(content, id);
  };
  const merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const byteLevel = JSON.stringify([tj.pre_tokenizer, tj.decoder]).includes('ByteLevel');
  const kind: 'llama' | 'gpt2' = byteLevel ? 'gpt2' : 'llama';
  if (kind === 'llama' && !model.byte_fallback) {
    throw new ForgeError(
      'unknown-tokenizer',
      'a non-byte-level BPE tokenizer must use byte_fallback to be exported as a GGUF llama tokenizer',
    );
  }
  for (const [content, id] of Object.entries(model.vocab)) {
    put(content, id, kind === 'llama' && BYTE_PIECE.test(content) ? TokenType.byte : TokenType.normal);
  }
  for (const t of tj.added_tokens ?? [])
    put(t.content, t.id, t.special ? TokenType.control : TokenType.userDefined);
  const bos = tokenId(files, 'bos_token', vocab);
  const eos = tokenId(files, 'eos_token', vocab);
  const pad = tokenId(files, 'pad_token', vocab);
  if (eos === undefined)
    throw new ForgeError(
      'unknown-tokenizer',
      'tokenizer_config.json names no eos_token present in the vocabulary',
    );
  const addBos = files.tokenizerConfig.add_bos_token === true;
  const chatTemplate =
    typeof files.tokenizerConfig.chat_template === 'string' ? files.tokenizerConfig.chat_template : undefined;
  if (kind === 'gpt2') {
    return {
      model: 'gpt2',
      pre: options.pre ?? 'gpt-2',
      tokens,
      merges,
      types,
      bos: bos ?? eos,
      eos,
      pad,
      addBos,
      chatTemplate,
    };
  }
  const unk = tokenId(files, 'unk_token', vocab) ?? 0;
  types[unk] = TokenType.unknown;
  let scores: number[];
  if (options.scores) {
    scores = Array.from({ length: size }, (_, i) => options.scores![i] ?? 0);
  } else {
    scores = new Array<number>(size).fill(-(merges.length + 1));
    merges.forEach((m, rank) => {
      const id = vocab.get(m.replace(' ', ''));
      if (id !== undefined && scores[id] < -rank) scores[id] = -rank;
    });
  }
  return { model: 'llama', tokens, scores, types, bos: bos ?? 1, eos, unk, pad, addBos, chatTemplate };
}

// ---------------------------------------------------------------------------------------------------------------
// The file

type MetaValue =
  | { t: 'u32'; v: number }
  | { t: 'i32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'arr-str'; v: string[] }
  | { t: 'arr-f32'; v: number[] }
  | { t: 'arr-i32'; v: number[] };

const VT = { u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9 } as const;

/** A growable little-endian byte buffer (one allocation per doubling, not per value: vocabularies are big). */
class Bytes {
  buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  push(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    this.room(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.room(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }
  u64(v: number): void {
    this.room(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  f32(v: number): void {
    this.room(4);
    this.length = this.buf.writeFloatLE(v, this.length);
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    this.room(n);
    this.length += this.buf.write(s, this.length, 'utf8');
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  value(m: MetaValue): void {
    switch (m.t) {
      case 'u32':
        return this.u32(m.v);
      case 'i32':
        return this.i32(m.v);
      case 'f32':
        return this.f32(m.v);
      case 'bool':
        return this.push(Uint8Array.of(m.v ? 1 : 0));
      case 'str':
        return this.str(m.v);
      case 'arr-str':
        this.u32(VT.str);
        this.u64(m.v.length);
        for (const s of m.v) this.str(s);
        return;
      case 'arr-f32':
        this.u32(VT.f32);
        this.u64(m.v.length);
        for (const x of m.v) this.f32(x);
        return;
      case 'arr-i32':
        this.u32(VT.i32);
        this.u64(m.v.length);
        for (const x of m.v) this.i32(x);
        return;
    }
  }
}

const TYPE_OF: Record<MetaValue['t'], number> = {
  u32: VT.u32,
  i32: VT.i32,
  f32: VT.f32,
  bool: VT.bool,
  str: VT.str,
  'arr-str': VT.arr,
  'arr-f32': VT.arr,
  'arr-i32': VT.arr,
};

/**
 * llama.cpp's LLaMA rotary embedding pairs (2i, 2i+1) in each head; Hugging Face checkpoints pair (i, i + D/2).
 * convert_hf_to_gguf.py permutes rows back: HF row h*D + j*D/2 + i becomes row h*D + 2i + j.
 */
export function halvesToInterleaved(
  w: Float32Array,
  nHeads: number,
  headDim: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const src = (h * headDim + j * half + i) * cols;
        const dst = (h * headDim + 2 * i + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

interface PlannedTensor {
  name: string;
  /** ggml order: ne[0] is the row length (HF's last dimension). */
  ne: number[];
  type: GgufType;
  data: () => Float32Array;
}

function planTensors(shape: ModelShape, weights: WeightSet, type: GgufType): PlannedTensor[] {
  const D = shape.headDim ?? shape.hiddenSize / shape.numHeads;
  const H = shape.hiddenSize;
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w)
      throw new ForgeError('missing-weight', `GGUF export: weight ${name} is missing from the weight set`);
    return w;
  };
  const out: PlannedTensor[] = [];
  const matrix = (
    name: string,
    hf: string,
    rows: number,
    cols: number,
    transform?: (w: Float32Array) => Float32Array,
  ) => {
    const w = get(hf);
    if (w.length !== rows * cols) {
      throw new ForgeError(
        'bad-shape',
        `GGUF export: ${hf} has ${w.length} values, expected ${rows}x${cols}`,
      );
    }
    // As llama.cpp's converter: rows that do not split into 32-value blocks stay unquantized (F16).
    const t = type === 'Q8_0' || type === 'Q4_0' ? (cols % QK === 0 ? type : 'F16') : type;
    out.push({ name, ne: [cols, rows], type: t, data: () => (transform ? transform(w) : w) });
  };
  const vector = (name: string, hf: string, n: number, transform?: (w: Float32Array) => Float32Array) => {
    const w = get(hf);
    if (w.length !== n)
      throw new ForgeError('bad-shape', `GGUF export: ${hf} has ${w.length} values, expected ${n}`);
    out.push({ name, ne: [n], type: 'F32', data: () => (transform ? transform(w) : w) });
  };
  const llama = shape.family === 'llama';
  const q = (w: Float32Array) =>
    llama ? halvesToInterleaved(w, shape.numHeads, D, w.length / (shape.numHeads * D)) : w;
  const k = (w: Float32Array) =>
    llama ? halvesToInterleaved(w, shape.numKvHeads, D, w.length / (shape.numKvHeads * D)) : w;
  matrix('token_embd.weight', 'model.embed_tokens.weight', shape.vocabSize, H);
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    const b = `blk.${i}`;
    vector(`${b}.attn_norm.weight`, `${p}.input_layernorm.weight`, H);
    matrix(`${b}.attn_q.weight`, `${p}.self_attn.q_proj.weight`, shape.numHeads * D, H, q);
    matrix(`${b}.attn_k.weight`, `${p}.self_attn.k_proj.weight`, shape.numKvHeads * D, H, k);
    matrix(`${b}.attn_v.weight`, `${p}.self_attn.v_proj.weight`, shape.numKvHeads * D, H);
    if (shape.family === 'qwen2') {
      vector(`${b}.attn_q.bias`, `${p}.self_attn.q_proj.bias`, shape.numHeads * D);
      vector(`${b}.attn_k.bias`, `${p}.self_attn.k_proj.bias`, shape.numKvHeads * D);
      vector(`${b}.attn_v.bias`, `${p}.self_attn.v_proj.bias`, shape.numKvHeads * D);
    }
    matrix(`${b}.attn_output.weight`, `${p}.self_attn.o_proj.weight`, H, shape.numHeads * D);
    vector(`${b}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`, H);
    matrix(`${b}.ffn_gate.weight`, `${p}.mlp.gate_proj.weight`, shape.intermediateSize, H);
    matrix(`${b}.ffn_up.weight`, `${p}.mlp.up_proj.weight`, shape.intermediateSize, H);
    matrix(`${b}.ffn_down.weight`, `${p}.mlp.down_proj.weight`, H, shape.intermediateSize);
  }
  vector('output_norm.weight', 'model.norm.weight', H);
  if (!shape.tieWordEmbeddings) matrix('output.weight', 'lm_head.weight', shape.vocabSize, H);
  return out;
}

function metadata(
  shape: ModelShape,
  tok: GgufTokenizer,
  type: GgufType,
  name: string,
): [string, MetaValue][] {
  const arch = shape.family;
  const D = shape.headDim ?? shape.hiddenSize / shape.numHeads;
  const u = (v: number): MetaValue => ({ t: 'u32', v });
  const kv: [string, MetaValue][] = [
    ['general.architecture', { t: 'str', v: arch }],
    ['general.name', { t: 'str', v: name }],
    ['general.file_type', u(FILE_TYPE[type])],
    ['general.quantization_version', u(2)],
    ['general.alignment', u(ALIGNMENT)],
    [`${arch}.vocab_size`, u(shape.vocabSize)],
    [`${arch}.context_length`, u(shape.maxPositionEmbeddings)],
    [`${arch}.embedding_length`, u(shape.hiddenSize)],
    [`${arch}.block_count`, u(shape.numLayers)],
    [`${arch}.feed_forward_length`, u(shape.intermediateSize)],
    [`${arch}.rope.dimension_count`, u(D)],
    [`${arch}.rope.freq_base`, { t: 'f32', v: shape.ropeTheta }],
    [`${arch}.attention.head_count`, u(shape.numHeads)],
    [`${arch}.attention.head_count_kv`, u(shape.numKvHeads)],
    [`${arch}.attention.key_length`, u(D)],
    [`${arch}.attention.value_length`, u(D)],
    [`${arch}.attention.layer_norm_rms_epsilon`, { t: 'f32', v: shape.rmsNormEps }],
    ['tokenizer.ggml.model', { t: 'str', v: tok.model }],
    ['tokenizer.ggml.pre', { t: 'str', v: tok.model === 'gpt2' ? tok.pre : 'default' }],
    ['tokenizer.ggml.tokens', { t: 'arr-str', v: tok.tokens }],
    ['tokenizer.ggml.token_type', { t: 'arr-i32', v: tok.types }],
  ];
  if (tok.model === 'llama') {
    kv.push(['tokenizer.ggml.scores', { t: 'arr-f32', v: tok.scores }]);
    kv.push(['tokenizer.ggml.unknown_token_id', u(tok.unk)]);
    kv.push(['tokenizer.ggml.add_space_prefix', { t: 'bool', v: true }]);
  } else {
    kv.push(['tokenizer.ggml.merges', { t: 'arr-str', v: tok.merges }]);
  }
  kv.push(['tokenizer.ggml.bos_token_id', u(tok.bos)]);
  kv.push(['tokenizer.ggml.eos_token_id', u(tok.eos)]);
  if (tok.pad !== undefined) kv.push(['tokenizer.ggml.padding_token_id', u(tok.pad)]);
  kv.push(['tokenizer.ggml.add_bos_token', { t: 'bool', v: tok.addBos }]);
  kv.push(['tokenizer.ggml.add_eos_token', { t: 'bool', v: false }]);
  if (tok.chatTemplate) kv.push(['tokenizer.chat_template', { t: 'str', v: tok.chatTemplate }]);
  return kv;
}

export interface WriteGgufOptions {
  shape: ModelShape;
  weights: WeightSet;
  /** Hugging Face tokenizer files (converted with ggufTokenizerFromHf) or a ready GGUF tokenizer. */
  tokenizer: TokenizerFiles | GgufTokenizer;
  type: GgufType;
  /** general.name */
  name?: string;
  /** llama.cpp pre-tokenizer name for byte-level BPE (e.g. `smollm`, `qwen2`, `llama-bpe`); default `gpt-2`. */
  pre?: string;
}

export interface GgufWritten {
  path: string;
  bytes: number;
  /** Tensor name -> the type it was written in (rows not divisible by 32 stay F16 in quantized files). */
  tensorTypes: Record<string, GgufType>;
}

/** Writes a GGUF v3 file (to a temporary name, then renamed). */
export function writeGguf(path: string, options: WriteGgufOptions): GgufWritten {
  const { shape, weights, type } = options;
  if (!(GGUF_TYPES as readonly string[]).includes(type)) {
    throw new ForgeError(
      'unknown-dtype',
      `GGUF type "${type}" is not supported; use one of ${GGUF_TYPES.join(', ')}`,
    );
  }
  const tok: GgufTokenizer =
    'model' in options.tokenizer && typeof options.tokenizer.model === 'string'
      ? (options.tokenizer as GgufTokenizer)
      : ggufTokenizerFromHf(options.tokenizer as TokenizerFiles, {
          vocabSize: shape.vocabSize,
          pre: options.pre,
        });
  if (tok.tokens.length !== shape.vocabSize) {
    throw new ForgeError(
      'bad-shape',
      `GGUF tokenizer has ${tok.tokens.length} tokens, the model ${shape.vocabSize}`,
    );
  }
  const tensors = planTensors(shape, weights, type);
  const kv = metadata(shape, tok, type, options.name ?? 'petit forged model');

  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'latin1'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(kv.length);
  for (const [key, value] of kv) {
    head.str(key);
    head.u32(TYPE_OF[value.t]);
    head.value(value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.ne.length);
    for (const n of t.ne) head.u64(n);
    head.u32(GGML_TYPE[t.type]);
    head.u64(offset);
    offsets.push(offset);
    const n = t.ne.reduce((a, b) => a * b, 1);
    offset += Math.ceil(tensorBytes(t.type, n) / ALIGNMENT) * ALIGNMENT;
  }
  const pad = (n: number) => Buffer.alloc((ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT);
  head.push(pad(head.length));

  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  const write = (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done);
    written += b.length;
  };
  try {
    write(head.bytes());
    const dataStart = written;
    tensors.forEach((t, i) => {
      if (written - dataStart !== offsets[i])
        throw new Error(`GGUF writer bug: ${t.name} at ${written - dataStart}, planned ${offsets[i]}`);
      const bytes = encodeTensor(t.type, t.data());
      write(bytes);
      write(pad(bytes.length));
    });
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { path, bytes: written, tensorTypes: Object.fromEntries(tensors.map((t) => [t.name, t.type])) };
}

/**
 * Test oracle: karpathy/llama2.c run.c (encode, forward, greedy generate, decode) re-written in TypeScript on the
 * raw checkpoint arrays, in llama2.c's own layout and rotary convention. It parses the files itself and shares no
 * code with the converter, so a converter bug cannot hide in both.
 */

export interface RefModel {
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  seqLen: number;
  w: Record<
    'emb' | 'rmsAtt' | 'wq' | 'wk' | 'wv' | 'wo' | 'rmsFfn' | 'w1' | 'w2' | 'w3' | 'rmsFinal' | 'cls',
    Float32Array
  >;
}

export function refReadCheckpoint(buf: Uint8Array): RefModel {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const [dim, hidden, layers, heads, kvHeads, vocabRaw, seqLen] = Array.from({ length: 7 }, (_, i) =>
    dv.getInt32(i * 4, true),
  );
  const vocab = Math.abs(vocabRaw);
  const hs = dim / heads;
  const kvDim = (dim * kvHeads) / heads;
  let off = 28;
  const next = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = dv.getFloat32(off + i * 4, true);
    off += n * 4;
    return a;
  };
  const emb = next(vocab * dim);
  const rmsAtt = next(layers * dim);
  const wq = next(layers * dim * dim);
  const wk = next(layers * dim * kvDim);
  const wv = next(layers * dim * kvDim);
  const wo = next(layers * dim * dim);
  const rmsFfn = next(layers * dim);
  const w1 = next(layers * dim * hidden);
  const w2 = next(layers * hidden * dim);
  const w3 = next(layers * dim * hidden);
  const rmsFinal = next(dim);
  off += seqLen * hs * 4; // freq_cis_real and freq_cis_imag
  const cls = vocabRaw > 0 ? emb : next(vocab * dim);
  return {
    dim,
    hidden,
    layers,
    heads,
    kvHeads,
    vocab,
    seqLen,
    w: { emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, cls },
  };
}

export interface RefTokenizer {
  vocab: Uint8Array[];
  scores: Float32Array;
  /** Piece bytes (as latin1 string) to id, like run.c's sorted_vocab + str_lookup. */
  lookup: Map<string, number>;
}

const key = (bytes: ArrayLike<number>) => String.fromCharCode(...Array.from(bytes));

export function refReadTokenizer(buf: Uint8Array, vocabSize: number): RefTokenizer {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 4;
  const vocab: Uint8Array[] = [];
  const scores = new Float32Array(vocabSize);
  const lookup = new Map<string, number>();
  for (let i = 0; i < vocabSize; i++) {
    scores[i] = dv.getFloat32(o, true);
    const len = dv.getInt32(o + 4, true);
    o += 8;
    vocab.push(buf.slice(o, o + len));
    o += len;
    // run.c's bsearch over a qsort-ed copy: with duplicates either could win; there are none here.
    if (!lookup.has(key(vocab[i]))) lookup.set(key(vocab[i]), i);
  }
  return { vocab, scores, lookup };
}

/** run.c encode(text, bos=1, eos=0). */
export function refEncode(t: RefTokenizer, text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  const tokens: number[] = [1];
  if (bytes.length > 0) tokens.push(t.lookup.get(' ')!);
  let buf: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[i]);
    if (i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = t.lookup.get(key(buf));
    if (id !== undefined) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = t.lookup.get(key([...t.vocab[tokens[i]], ...t.vocab[tokens[i + 1]]]));
      if (id !== undefined && t.scores[id] > bestScore) {
        bestScore = t.scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

/** run.c decode(prev, token): no leading space after BOS, <0xNN> as the raw byte. */
export function refDecodePiece(t: RefTokenizer, prev: number, token: number): Uint8Array {
  let piece = t.vocab[token];
  if (prev === 1 && piece[0] === 0x20) piece = piece.subarray(1);
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(key(piece));
  return m ? Uint8Array.of(parseInt(m[1], 16)) : piece;
}

/** run.c's Transformer state: forward(token, pos) returns the logits; the KV cache lives here. */
export class RefTransformer {
  readonly m: RefModel;
  private keyCache: Float32Array;
  private valueCache: Float32Array;

  constructor(m: RefModel) {
    this.m = m;
    const kvDim = (m.dim * m.kvHeads) / m.heads;
    this.keyCache = new Float32Array(m.layers * m.seqLen * kvDim);
    this.valueCache = new Float32Array(m.layers * m.seqLen * kvDim);
  }

  forward(token: number, pos: number): Float32Array {
    const { dim, hidden, layers, heads, kvHeads, vocab, seqLen, w } = this.m;
    const hs = dim / heads;
    const kvDim = (dim * kvHeads) / heads;
    const kvMul = heads / kvHeads;
    const x = w.emb.slice(token * dim, (token + 1) * dim);
    const xb = new Float32Array(dim);
    const q = new Float32Array(dim);
    const hb = new Float32Array(hidden);
    const hb2 = new Float32Array(hidden);
    const att = new Float32Array(seqLen);
    for (let l = 0; l < layers; l++) {
      rmsnorm(xb, x, w.rmsAtt.subarray(l * dim, (l + 1) * dim));
      const loff = l * seqLen * kvDim;
      const k = this.keyCache.subarray(loff + pos * kvDim, loff + (pos + 1) * kvDim);
      const v = this.valueCache.subarray(loff + pos * kvDim, loff + (pos + 1) * kvDim);
      matmul(q, xb, w.wq.subarray(l * dim * dim), dim, dim);
      matmul(k, xb, w.wk.subarray(l * dim * kvDim), dim, kvDim);
      matmul(v, xb, w.wv.subarray(l * dim * kvDim), dim, kvDim);
      // RoPE on consecutive pairs, as run.c.
      for (let i = 0; i < dim; i += 2) {
        const headDim = i % hs;
        const freq = 1 / Math.pow(10000, headDim / hs);
        const val = pos * freq;
        const fcr = Math.cos(val);
        const fci = Math.sin(val);
        for (const vec of i < kvDim ? [q, k] : [q]) {
          const v0 = vec[i];
          const v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (let h = 0; h < heads; h++) {
        const qh = q.subarray(h * hs, (h + 1) * hs);
        const kvh = Math.floor(h / kvMul) * hs;
        for (let t = 0; t <= pos; t++) {
          const kt = this.keyCache.subarray(loff + t * kvDim + kvh);
          let score = 0;
          for (let i = 0; i < hs; i++) score += qh[i] * kt[i];
          att[t] = score / Math.sqrt(hs);
        }
        softmax(att, pos + 1);
        const out = xb.subarray(h * hs, (h + 1) * hs);
        out.fill(0);
        for (let t = 0; t <= pos; t++) {
          const vt = this.valueCache.subarray(loff + t * kvDim + kvh);
          for (let i = 0; i < hs; i++) out[i] += att[t] * vt[i];
        }
      }
      const xb2 = new Float32Array(dim);
      matmul(xb2, xb, w.wo.subarray(l * dim * dim), dim, dim);
      for (let i = 0; i < dim; i++) x[i] += xb2[i];
      rmsnorm(xb, x, w.rmsFfn.subarray(l * dim, (l + 1) * dim));
      matmul(hb, xb, w.w1.subarray(l * dim * hidden), dim, hidden);
      matmul(hb2, xb, w.w3.subarray(l * dim * hidden), dim, hidden);
      for (let i = 0; i < hidden; i++) hb[i] = hb[i] * (1 / (1 + Math.exp(-hb[i]))) * hb2[i];
      matmul(xb, hb, w.w2.subarray(l * dim * hidden), hidden, dim);
      for (let i = 0; i < dim; i++) x[i] += xb[i];
    }
    rmsnorm(x, x, w.rmsFinal);
    const logits = new Float32Array(vocab);
    matmul(logits, x, w.cls, dim, vocab);
    return logits;
  }
}

function rmsnorm(o: Float32Array, x: Float32Array, weight: Float32Array): void {
  let ss = 0;
  for (let j = 0; j < x.length; j++) ss += x[j] * x[j];
  ss = 1 / Math.sqrt(ss / x.length + 1e-5);
  for (let j = 0; j < x.length; j++) o[j] = weight[j] * (ss * x[j]);
}

function softmax(x: Float32Array, size: number): void {
  let max = x[0];
  for (let i = 1; i < size; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < size; i++) sum += x[i] = Math.exp(x[i] - max);
  for (let i = 0; i < size; i++) x[i] /= sum;
}

/** W (d, n) @ x (n) -> xout (d), W row-major. */
function matmul(xout: Float32Array, x: Float32Array, w: Float32Array, n: number, d: number): void {
  for (let i = 0; i < d; i++) {
    let val = 0;
    for (let j = 0; j < n; j++) val += w[i * n + j] * x[j];
    xout[i] = val;
  }
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export interface RefGeneration {
  promptTokens: number[];
  /** Tokens after the prompt, stopping early (as run.c does) when the model picks BOS. */
  newTokens: number[];
  /** The continuation's text, as run.c's decode() pieces joined (bytes decoded as UTF-8). */
  text: string;
  /** True when run.c stopped because the model picked BOS (the end of a story). */
  stoppedAtBos: boolean;
}

/** run.c generate() with temperature 0: `steps` new tokens at most (run.c's -n counts the prompt too). */
export function refGenerate(
  model: RefModel,
  tok: RefTokenizer,
  prompt: string,
  newTokens: number,
): RefGeneration {
  const tr = new RefTransformer(model);
  const promptTokens = refEncode(tok, prompt);
  const out: number[] = [];
  let token = promptTokens[0];
  const bytes: number[] = [];
  let stoppedAtBos = false;
  for (let pos = 0; pos < promptTokens.length - 1 + newTokens && pos < model.seqLen; pos++) {
    const logits = tr.forward(token, pos);
    const next = pos < promptTokens.length - 1 ? promptTokens[pos + 1] : argmax(logits);
    if (next === 1) {
      stoppedAtBos = true;
      break;
    }
    if (pos >= promptTokens.length - 1) {
      out.push(next);
      bytes.push(...refDecodePiece(tok, token, next));
    }
    token = next;
  }
  return {
    promptTokens,
    newTokens: out,
    text: new TextDecoder().decode(Uint8Array.from(bytes)),
    stoppedAtBos,
  };
}

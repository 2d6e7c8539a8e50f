/**
 * Weight conversions for the dtypes, following what onnxruntime's quantizers write into published models:
 * - fp16: round-to-nearest-even halves;
 * - q8: per-tensor symmetric int8 (`quantize_dynamic` with QInt8 weights: scale = max|w| / 127, zero point 0);
 * - q4: `MatMulNBits` blocks along K (symmetric, as `MatMul4BitsQuantizer(is_symmetric=True)`: the value of
 *   largest magnitude maps to -8, stored as q + 8 in two nibbles per byte, low nibble first, no zero points).
 */
import { halfFromFloatBits } from './onnx-writer.ts';

/** [rows, cols] -> [cols, rows]. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const B = 64; // blocked for cache locality on big matrices
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = w[src + c]!;
      }
    }
  }
  return out;
}

export function toFloat16(w: Float32Array): Uint16Array {
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  const out = new Uint16Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = halfFromFloatBits(bits[i]!);
  return out;
}

export interface Int8Tensor {
  data: Int8Array;
  scale: number;
}

export function quantizeInt8(w: Float32Array): Int8Tensor {
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const f32scale = Math.fround(scale);
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) data[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / f32scale)));
  return { data, scale: f32scale };
}

export interface NBitsTensor {
  /** [N, blocksPerRow, blockSize / 2] packed nibbles. */
  data: Uint8Array;
  /** [N * blocksPerRow] */
  scales: Float32Array;
  blocksPerRow: number;
}

/** Quantizes a Hugging Face linear weight [N = out, K = in] for MatMulNBits (bits 4). */
export function quantizeQ4(w: Float32Array, N: number, K: number, blockSize = 32): NBitsTensor {
  const blocksPerRow = Math.ceil(K / blockSize);
  const blob = blockSize / 2;
  const data = new Uint8Array(N * blocksPerRow * blob);
  const scales = new Float32Array(N * blocksPerRow);
  for (let n = 0; n < N; n++) {
    const row = n * K;
    for (let b = 0; b < blocksPerRow; b++) {
      const k0 = row + b * blockSize;
      const k1 = row + Math.min(K, (b + 1) * blockSize);
      let vmax = 0;
      let amax = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[k]!;
        const a = v < 0 ? -v : v;
        if (a > amax) {
          amax = a;
          vmax = v;
        }
      }
      const scale = Math.fround(vmax / -8);
      scales[n * blocksPerRow + b] = scale;
      const inv = scale !== 0 ? 1 / scale : 0;
      let o = (n * blocksPerRow + b) * blob;
      for (let k = k0; k < k0 + blockSize; k += 2) {
        // round(x) + 8 == trunc(x + 8.5) here, as x + 8.5 >= 0.
        const q0 = k < k1 ? Math.min(15, (w[k]! * inv + 8.5) | 0) : 8;
        const q1 = k + 1 < k1 ? Math.min(15, (w[k + 1]! * inv + 8.5) | 0) : 8;
        data[o++] = q0 | (q1 << 4);
      }
    }
  }
  return { data, scales, blocksPerRow };
}

/** The float weights a MatMulNBits (bits 4, no zero points) tensor stands for, in [N, K] layout. */
export function dequantizeQ4(q: NBitsTensor, N: number, K: number, blockSize = 32): Float32Array {
  const out = new Float32Array(N * K);
  const blob = blockSize / 2;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const j = k % blockSize;
      const byte = q.data[(n * q.blocksPerRow + b) * blob + (j >> 1)]!;
      out[n * K + k] = ((j & 1 ? byte >> 4 : byte & 15) - 8) * q.scales[n * q.blocksPerRow + b]!;
    }
  }
  return out;
}

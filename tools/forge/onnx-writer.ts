/**
 * An ONNX graph builder and writer (ModelProto / GraphProto / NodeProto / TensorProto / ValueInfoProto, field
 * numbers from onnx/onnx.proto3). Tensors larger than a threshold can go to a side file (`<model>.onnx_data`,
 * the name transformers.js fetches) so models above protobuf's 2 GB limit can be written.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ProtoWriter } from './protobuf.ts';

/** TensorProto.DataType values. */
export const TensorType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
} as const;
export type TensorTypeName = keyof typeof TensorType;

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface OnnxInitializer {
  name: string;
  type: TensorTypeName;
  dims: number[];
  /** Little-endian raw bytes. */
  data: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  type: TensorTypeName;
  shape: (number | string)[];
}

export interface OnnxModel {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  irVersion: number;
  metadata?: Record<string, string>;
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Builds a graph node by node. Names are unique (`uid`), and each helper returns the name of its output so graph
 * code reads like the math it computes.
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private used = new Set<string>();
  private constCache = new Map<string, string>();
  /** Prefix for node and value names, e.g. `/model/layers.3/attn`. */
  scope = '';

  uid(base: string): string {
    let name = this.scope ? `${this.scope}/${base}` : base;
    if (this.used.has(name)) {
      let i = 1;
      while (this.used.has(`${name}_${i}`)) i++;
      name = `${name}_${i}`;
    }
    this.used.add(name);
    return name;
  }

  input(name: string, type: TensorTypeName, shape: (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, type, shape });
    return name;
  }

  output(name: string, type: TensorTypeName, shape: (number | string)[]): void {
    this.outputs.push({ name, type, shape });
  }

  initializer(name: string, type: TensorTypeName, dims: number[], data: Uint8Array): string {
    if (this.used.has(name)) throw new Error(`duplicate initializer ${name}`);
    this.used.add(name);
    this.initializers.push({ name, type, dims, data });
    return name;
  }

  /** A small constant initializer, shared between uses of the same value. */
  constant(type: TensorTypeName, dims: number[], values: readonly number[]): string {
    const key = `${type}|${dims.join(',')}|${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    let data: Uint8Array;
    if (type === 'int64') data = bytesOf(BigInt64Array.from(values, (v) => BigInt(v)));
    else if (type === 'float') data = bytesOf(Float32Array.from(values));
    else if (type === 'int32') data = bytesOf(Int32Array.from(values));
    else if (type === 'int8') data = bytesOf(Int8Array.from(values));
    else if (type === 'uint8' || type === 'bool') data = Uint8Array.from(values);
    else if (type === 'float16') data = bytesOf(Uint16Array.from(values, toHalfBits));
    else throw new Error(`constant of type ${type}`);
    const name = this.initializer(`const_${this.constCache.size}`, type, dims, data);
    this.constCache.set(key, name);
    return name;
  }

  op(
    opType: string,
    inputs: string[],
    attrs?: Record<string, AttrValue>,
    opts: { outputs?: number; domain?: string; name?: string; out?: string } = {},
  ): string[] {
    const name = this.uid(opts.name ?? opType);
    const outputs = opts.out
      ? [opts.out]
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => `${name}_output_${i}`);
    for (const o of outputs) this.used.add(o);
    this.nodes.push({ opType, inputs, outputs, name, domain: opts.domain, attrs });
    return outputs;
  }

  /** Single-output node. */
  /** Single-output node; `out` names the output (graph outputs need their public names). */
  op1(
    opType: string,
    inputs: string[],
    attrs?: Record<string, AttrValue>,
    opts: { domain?: string; name?: string; out?: string } = {},
  ): string {
    return this.op(opType, inputs, attrs, opts)[0]!;
  }
}

/** float32 -> IEEE half bits, round to nearest even (shared with the fp16 weight conversion). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  return halfFromFloatBits(u32[0]!);
}
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> 0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, TensorType[v.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function encodeAttr(name: string, value: AttrValue): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for float values`);
    a.int(3, value).int(20, 2);
  } else if (typeof value === 'string') a.string(4, value).int(20, 3);
  else if (Array.isArray(value)) a.packedInts(8, value).int(20, 7);
  else if ('float' in value) a.float(2, value.float).int(20, 1);
  else a.packedFloats(7, value.floats).int(20, 6);
  return a;
}

function encodeNode(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, encodeAttr(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeTensor(t: OnnxInitializer, external?: { location: string; offset: number }): ProtoWriter {
  const w = new ProtoWriter().packedInts(1, t.dims).int(2, TensorType[t.type]).string(8, t.name);
  if (!external) return w.bytes(9, t.data);
  const entry = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v);
  w.message(13, entry('location', external.location));
  w.message(13, entry('offset', String(external.offset)));
  w.message(13, entry('length', String(t.data.byteLength)));
  return w.int(14, 1);
}

export interface WriteOnnxOptions {
  /**
   * Put tensors of at least `threshold` bytes (default 1 KiB) into the file `path`; `location` is the name the
   * model records (transformers.js fetches `model{suffix}.onnx_data` next to the model).
   */
  externalData?: { path: string; location: string; threshold?: number };
}

/** Tensor bytes above which a model must use external data (protobuf messages stop at 2 GiB). */
export const PROTOBUF_SAFE_BYTES = 2.0e9;

export function initializerBytes(model: OnnxModel): number {
  return model.initializers.reduce((s, t) => s + t.data.byteLength, 0);
}

/**
 * Writes `model` to `path` (and `${path}_data` with external data). The caller handles atomicity (it passes a
 * temporary path). Returns the files written.
 */
export function writeOnnxModel(path: string, model: OnnxModel, options: WriteOnnxOptions = {}): string[] {
  const files = [path];
  const external = options.externalData;
  const graph = new ProtoWriter();
  for (const n of model.nodes) graph.message(1, encodeNode(n));
  graph.string(2, model.graphName);
  if (external) {
    const { location } = external;
    const threshold = external.threshold ?? 1024;
    const fd = openSync(external.path, 'w');
    let offset = 0;
    try {
      for (const t of model.initializers) {
        if (t.data.byteLength < threshold) {
          graph.message(5, encodeTensor(t));
          continue;
        }
        const pad = (4096 - (offset % 4096)) % 4096; // page-aligned so ORT can map the tensors
        if (pad) writeSync(fd, new Uint8Array(pad));
        offset += pad;
        let off = 0;
        while (off < t.data.byteLength) off += writeSync(fd, t.data, off, t.data.byteLength - off);
        graph.message(5, encodeTensor(t, { location, offset }));
        offset += t.data.byteLength;
      }
    } finally {
      closeSync(fd);
    }
    files.push(external.path);
  } else {
    for (const t of model.initializers) graph.message(5, encodeTensor(t));
  }
  for (const v of model.inputs) graph.message(11, encodeValueInfo(v));
  for (const v of model.outputs) graph.message(12, encodeValueInfo(v));

  const m = new ProtoWriter()
    .int(1, model.irVersion)
    .string(2, model.producer.name)
    .string(3, model.producer.version);
  m.message(7, graph);
  for (const o of model.opsets) {
    const op = new ProtoWriter();
    if (o.domain) op.string(1, o.domain);
    op.int(2, o.version);
    m.message(8, op);
  }
  for (const [k, v] of Object.entries(model.metadata ?? {}))
    m.message(14, new ProtoWriter().string(1, k).string(2, v));
  if (!external && m.length >= 2 ** 31 - 1) {
    throw new Error(
      `ONNX model of ${m.length} bytes exceeds protobuf's 2 GiB limit; write it with external data`,
    );
  }
  const fd = openSync(path, 'w');
  try {
    m.writeTo(fd);
  } finally {
    closeSync(fd);
  }
  return files;
}

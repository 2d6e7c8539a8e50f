/**
 * Rewrites a q4 ONNX decoder for ONNX Runtime's WASM CPU path: every 4-bit `com.microsoft.MatMulNBits` node
 * (what published `model_q4.onnx` files use) becomes DynamicQuantizeLinear → MatMulInteger → Cast → Mul, the
 * form of `model_quantized.onnx`, with the 4-bit weights re-quantized to int8 with one scale per output column.
 *
 * Why: in WASM, MatMulNBits has no packed kernel and dequantizes its weights on every call, so q4 decodes
 * several times slower than q8 (see BENCHMARKS.md). The int8 weights take twice the memory of the 4-bit ones,
 * and the result is the q4 model to within int8 rounding (checked in q4-to-q8.test.ts).
 *
 * The model is walked as raw protobuf: only the graph's nodes and the rewritten initializers are decoded; every
 * other field is copied through byte for byte.
 */

import {
  WIRE_VARINT,
  WIRE_LEN,
  MODEL_GRAPH,
  GRAPH_NODE,
  GRAPH_INITIALIZER,
  NODE_INPUT,
  NODE_OUTPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  ATTR_NAME,
  ATTR_I,
  ATTR_TYPE,
  TENSOR_DIMS,
  TENSOR_DATA_TYPE,
  TENSOR_FLOAT_DATA,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  TENSOR_DATA_LOCATION,
  FLOAT,
  UINT8,
  INT8,
  ATTR_INT,
  utf8,
  type Field,
  fields,
  Writer,
} from './onnx-protobuf.ts';

interface NodeInfo {
  raw: Uint8Array;
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  ints: Map<string, number>;
}

function readNode(f: Field): NodeInfo {
  const node: NodeInfo = {
    raw: f.raw,
    opType: '',
    domain: '',
    name: '',
    inputs: [],
    outputs: [],
    ints: new Map(),
  };
  for (const g of fields(f.bytes)) {
    if (g.field === NODE_INPUT) node.inputs.push(utf8.decode(g.bytes));
    else if (g.field === NODE_OUTPUT) node.outputs.push(utf8.decode(g.bytes));
    else if (g.field === NODE_NAME) node.name = utf8.decode(g.bytes);
    else if (g.field === NODE_OP_TYPE) node.opType = utf8.decode(g.bytes);
    else if (g.field === NODE_DOMAIN) node.domain = utf8.decode(g.bytes);
    else if (g.field === NODE_ATTRIBUTE) {
      let name = '';
      let i: number | undefined;
      for (const a of fields(g.bytes)) {
        if (a.field === ATTR_NAME) name = utf8.decode(a.bytes);
        else if (a.field === ATTR_I) i = a.value;
      }
      if (i !== undefined) node.ints.set(name, i);
    }
  }
  return node;
}

interface TensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  data: Uint8Array | null;
  external: boolean;
}

function readTensor(f: Field): TensorInfo {
  const t: TensorInfo = { name: '', dataType: 0, dims: [], data: null, external: false };
  const floats: Uint8Array[] = [];
  for (const g of fields(f.bytes)) {
    if (g.field === TENSOR_NAME) t.name = utf8.decode(g.bytes);
    else if (g.field === TENSOR_DATA_TYPE) t.dataType = g.value;
    else if (g.field === TENSOR_DIMS) {
      if (g.wire === WIRE_VARINT) t.dims.push(g.value);
      else for (const d of fields(packedVarints(g.bytes))) t.dims.push(d.value);
    } else if (g.field === TENSOR_RAW_DATA) t.data = g.bytes;
    else if (g.field === TENSOR_FLOAT_DATA) floats.push(g.bytes);
    else if (g.field === TENSOR_DATA_LOCATION && g.value === 1) t.external = true;
  }
  if (!t.data && floats.length) {
    const all = new Uint8Array(floats.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of floats) all.set(b, (o += b.length) - b.length);
    t.data = all;
  }
  return t;
}

/** Packed varints re-tagged as field 1 varints, so `fields` can read them. */
function packedVarints(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let fresh = true;
  for (const b of bytes) {
    if (fresh) out.push(1 * 8 + WIRE_VARINT);
    out.push(b);
    fresh = b < 0x80;
  }
  return Uint8Array.from(out);
}

function tensor(name: string, dataType: number, dims: number[], data: Uint8Array): Writer {
  const w = new Writer();
  for (const d of dims) w.int(TENSOR_DIMS, d);
  w.int(TENSOR_DATA_TYPE, dataType);
  w.string(TENSOR_NAME, name);
  w.bytes(TENSOR_RAW_DATA, data);
  return w;
}

function node(opType: string, inputs: string[], outputs: string[], name: string, to?: number): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(NODE_INPUT, i);
  for (const o of outputs) w.string(NODE_OUTPUT, o);
  w.string(NODE_NAME, name);
  w.string(NODE_OP_TYPE, opType);
  if (to !== undefined) {
    w.bytes(NODE_ATTRIBUTE, new Writer().string(ATTR_NAME, 'to').int(ATTR_I, to).int(ATTR_TYPE, ATTR_INT));
  }
  return w;
}

/**
 * int8 weights [K, N] and one float scale per output column from MatMulNBits' packed [N, blocks, blockSize/2]
 * nibbles and [N * blocks] scales (symmetric: zero point 8).
 */
export function requantize(
  packed: Uint8Array,
  scales: Float32Array,
  N: number,
  K: number,
  blockSize: number,
): { weights: Int8Array; columnScales: Float32Array } {
  const blocks = Math.ceil(K / blockSize);
  const blob = blockSize / 2;
  const weights = new Int8Array(K * N);
  const columnScales = new Float32Array(N);
  const row = new Float32Array(K);
  // Rows are quantized a tile at a time, then written out transposed, so the [K, N] writes are contiguous.
  const TILE = 32;
  const tile = new Int8Array(TILE * K);
  for (let n0 = 0; n0 < N; n0 += TILE) {
    const rows = Math.min(TILE, N - n0);
    for (let t = 0; t < rows; t++) {
      const n = n0 + t;
      let amax = 0;
      for (let b = 0; b < blocks; b++) {
        const s = scales[n * blocks + b]!;
        let p = (n * blocks + b) * blob;
        const kEnd = Math.min(K, (b + 1) * blockSize);
        for (let k = b * blockSize; k < kEnd; k += 2) {
          const byte = packed[p++]!;
          const v0 = ((byte & 15) - 8) * s;
          row[k] = v0;
          const a0 = v0 < 0 ? -v0 : v0;
          if (a0 > amax) amax = a0;
          if (k + 1 < kEnd) {
            const v1 = ((byte >> 4) - 8) * s;
            row[k + 1] = v1;
            const a1 = v1 < 0 ? -v1 : v1;
            if (a1 > amax) amax = a1;
          }
        }
      }
      const scale = amax > 0 ? amax / 127 : 1;
      columnScales[n] = scale;
      const inv = 1 / scale;
      const off = t * K;
      for (let k = 0; k < K; k++) {
        const r = row[k]! * inv;
        tile[off + k] = r >= 0 ? (r + 0.5) | 0 : -((0.5 - r) | 0);
      }
    }
    for (let k = 0; k < K; k++) {
      const o = k * N + n0;
      for (let t = 0, i = k; t < rows; t++, i += K) weights[o + t] = tile[i]!;
    }
  }
  return { weights, columnScales };
}

export interface RewriteResult {
  /** The rewritten model, or null when it has no MatMulNBits this can rewrite. */
  model: Uint8Array<ArrayBuffer> | null;
  rewritten: number;
  /** Why nodes were left alone (zero points, bits ≠ 4, external data…). */
  skipped: string[];
}

/** Rewrites the 4-bit MatMulNBits nodes of an ONNX model (see the file comment). */
export function rewriteQ4ToQ8(model: Uint8Array): RewriteResult {
  const top = [...fields(model)];
  const graphField = top.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graphField) return { model: null, rewritten: 0, skipped: ['no graph'] };
  const graphFields = [...fields(graphField.bytes)];
  const nodes = graphFields.filter((f) => f.field === GRAPH_NODE).map(readNode);
  const targets = nodes.filter((n) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft');
  if (!targets.length) return { model: null, rewritten: 0, skipped: [] };

  const wanted = new Set(targets.flatMap((n) => [n.inputs[1]!, n.inputs[2]!]));
  const initializers = new Map<string, TensorInfo>();
  for (const f of graphFields) {
    if (f.field !== GRAPH_INITIALIZER) continue;
    // Only the tensors a rewrite needs are decoded (the name is read first; tensors are small headers + data).
    const t = readTensor(f);
    if (wanted.has(t.name)) initializers.set(t.name, t);
  }
  // Tensors still read by nodes that are not rewritten must stay.
  const skipped: string[] = [];
  const rewrite = new Set<NodeInfo>();
  for (const n of targets) {
    const b = initializers.get(n.inputs[1]!);
    const s = initializers.get(n.inputs[2]!);
    const why =
      n.ints.get('bits') !== 4
        ? `bits ${n.ints.get('bits')}`
        : n.inputs.slice(3).some((i) => i)
          ? 'zero points, g_idx or bias'
          : !b || !s || !b.data || !s.data || b.external || s.external
            ? 'weights not stored inline'
            : s.dataType !== FLOAT || b.dataType !== UINT8
              ? 'unexpected weight types'
              : null;
    if (why) skipped.push(`${n.name}: ${why}`);
    else rewrite.add(n);
  }
  if (!rewrite.size) return { model: null, rewritten: 0, skipped };
  const stillUsed = new Set(nodes.filter((n) => !rewrite.has(n)).flatMap((n) => n.inputs));
  const dropped = new Set(
    [...rewrite].flatMap((n) => [n.inputs[1]!, n.inputs[2]!]).filter((name) => !stillUsed.has(name)),
  );

  const graph = new Writer();
  const quantizedInputs = new Map<string, [string, string, string]>();
  const zeroName = 'petit_q8/weight_zero_point';
  graph.bytes(GRAPH_INITIALIZER, tensor(zeroName, INT8, [], new Uint8Array(1)));
  let nodeIndex = 0;
  for (const f of graphFields) {
    if (f.field === GRAPH_INITIALIZER) {
      const name = readTensorName(f.bytes);
      if (!dropped.has(name)) graph.raw(f.raw);
      continue;
    }
    if (f.field !== GRAPH_NODE) {
      graph.raw(f.raw);
      continue;
    }
    const n = nodes[nodeIndex++]!;
    if (!rewrite.has(n)) {
      graph.raw(f.raw);
      continue;
    }
    const N = n.ints.get('N')!;
    const K = n.ints.get('K')!;
    const blockSize = n.ints.get('block_size')!;
    const b = initializers.get(n.inputs[1]!)!;
    const s = initializers.get(n.inputs[2]!)!;
    const scales = new Float32Array(s.data!.slice().buffer);
    const { weights, columnScales } = requantize(b.data!, scales, N, K, blockSize);
    const base = `${n.name || n.outputs[0]}/petit_q8`;
    const wName = `${base}/weight_quantized`;
    const sName = `${base}/weight_scale`;
    graph.bytes(GRAPH_INITIALIZER, tensor(wName, INT8, [K, N], new Uint8Array(weights.buffer)));
    graph.bytes(GRAPH_INITIALIZER, tensor(sName, FLOAT, [N], new Uint8Array(columnScales.buffer)));
    const x = n.inputs[0]!;
    let dq = quantizedInputs.get(x);
    if (!dq) {
      dq = [`${base}/x_quantized`, `${base}/x_scale`, `${base}/x_zero_point`];
      quantizedInputs.set(x, dq);
      graph.bytes(GRAPH_NODE, node('DynamicQuantizeLinear', [x], dq, `${base}/DynamicQuantizeLinear`));
    }
    const [xq, xs, xz] = dq;
    graph.bytes(
      GRAPH_NODE,
      node('MatMulInteger', [xq, wName, xz, zeroName], [`${base}/mm`], `${base}/MatMulInteger`),
    );
    graph.bytes(GRAPH_NODE, node('Cast', [`${base}/mm`], [`${base}/mm_float`], `${base}/Cast`, FLOAT));
    graph.bytes(GRAPH_NODE, node('Mul', [xs, sName], [`${base}/scale`], `${base}/ScaleMul`));
    graph.bytes(
      GRAPH_NODE,
      node('Mul', [`${base}/mm_float`, `${base}/scale`], [n.outputs[0]!], `${base}/OutputMul`),
    );
  }

  const out = new Writer();
  for (const f of top) {
    if (f === graphField) out.bytes(MODEL_GRAPH, graph);
    else out.raw(f.raw);
  }
  return { model: out.toBytes(), rewritten: rewrite.size, skipped };
}

function readTensorName(bytes: Uint8Array): string {
  for (const g of fields(bytes)) if (g.field === TENSOR_NAME) return utf8.decode(g.bytes);
  return '';
}

import {
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  INT64,
  MODEL_GRAPH,
  MODEL_OPSET_IMPORT,
  NODE_INPUT,
  NODE_NAME,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  OPSET_DOMAIN,
  OPSET_VERSION,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  TENSOR_TYPE_ELEM,
  TENSOR_TYPE_SHAPE,
  TYPE_TENSOR,
  VALUE_INFO_NAME,
  VALUE_INFO_TYPE,
  WIRE_LEN,
  Writer,
  fields,
  utf8,
  type Field,
} from './onnx-protobuf.ts';

/**
 * Lets a decoder compute logits for the last positions only. Exported LLM graphs apply the vocabulary projection
 * (576 × 49,152 for SmolLM2: a fifth of the 135M model's work per token) to every prompt position, although
 * generation reads only the last row; a 1,000-token prefill also returns 200 MB of logits. This adds the
 * `num_logits_to_keep` input that newer exports carry and transformers.js already fills in (1 while generating,
 * 0 = every position for a plain forward pass): the projection's input is sliced to its last k positions.
 * The rewrite touches only the graph, so it runs on the few kilobytes external-weights.ts leaves of it.
 */

export const KEEP_INPUT = 'num_logits_to_keep';

/** Slice takes its bounds as inputs from opset 10. */
const MIN_OPSET = 10;
const PROJECTIONS = new Set(['MatMul', 'MatMulInteger', 'MatMulNBits', 'Gemm']);
/** Per-position steps allowed between the projection and the logits output (dequantisation, bias). */
const EPILOGUE = new Set(['Cast', 'Mul', 'Add', 'Identity']);

interface GraphNode {
  field: Field;
  op: string;
  inputs: string[];
  outputs: string[];
}

function strings(f: Field, field: number): string[] {
  const out: string[] = [];
  for (const p of fields(f.bytes))
    if (p.field === field && p.wire === WIRE_LEN) out.push(utf8.decode(p.bytes));
  return out;
}

function nodeOf(f: Field): GraphNode {
  const op = [...fields(f.bytes)].find((p) => p.field === NODE_OP_TYPE);
  return {
    field: f,
    op: op ? utf8.decode(op.bytes) : '',
    inputs: strings(f, NODE_INPUT),
    outputs: strings(f, NODE_OUTPUT),
  };
}

function defaultOpset(top: Field[]): number {
  for (const f of top) {
    if (f.field !== MODEL_OPSET_IMPORT) continue;
    const parts = [...fields(f.bytes)];
    const domain = parts.find((p) => p.field === OPSET_DOMAIN);
    if (domain && domain.bytes.length > 0 && utf8.decode(domain.bytes) !== 'ai.onnx') continue;
    return parts.find((p) => p.field === OPSET_VERSION)?.value ?? 0;
  }
  return 0;
}

function node(op: string, inputs: string[], outputs: string[], name: string): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(NODE_INPUT, i);
  for (const o of outputs) w.string(NODE_OUTPUT, o);
  return w.string(NODE_NAME, name).string(NODE_OP_TYPE, op);
}

function int64Tensor(name: string, raw: Uint8Array): Writer {
  return new Writer()
    .int(TENSOR_DIMS, 1)
    .int(TENSOR_DATA_TYPE, INT64)
    .string(TENSOR_NAME, name)
    .bytes(TENSOR_RAW_DATA, raw);
}

function int64(v: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, v, true);
  return bytes;
}

/** `n` reading its first input from `name` instead. */
function withFirstInput(n: GraphNode, name: string): Writer {
  const w = new Writer();
  let first = true;
  for (const p of fields(n.field.bytes)) {
    if (p.field === NODE_INPUT && first) {
      first = false;
      w.string(NODE_INPUT, name);
    } else w.raw(p.raw);
  }
  return w;
}

/**
 * The model with a `num_logits_to_keep` input, or null when it already has one or its shape is not the one this
 * knows to be safe: a `logits` output reached from a MatMul-like projection through per-position steps only,
 * whose input (or the DynamicQuantizeLinear that feeds it alone) is a [batch, positions, hidden] activation.
 */
export function keepLastLogits(model: Uint8Array): Uint8Array | null {
  const top = [...fields(model)];
  const graphField = top.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graphField || defaultOpset(top) < MIN_OPSET) return null;
  const graphFields = [...fields(graphField.bytes)];
  const inputs = graphFields
    .filter((f) => f.field === GRAPH_INPUT)
    .flatMap((f) => strings(f, VALUE_INFO_NAME));
  const outputs = graphFields
    .filter((f) => f.field === GRAPH_OUTPUT)
    .flatMap((f) => strings(f, VALUE_INFO_NAME));
  if (inputs.includes(KEEP_INPUT) || !outputs.includes('logits')) return null;
  const initializers = new Set(
    graphFields.filter((f) => f.field === GRAPH_INITIALIZER).flatMap((f) => strings(f, TENSOR_NAME)),
  );
  const nodes = graphFields.filter((f) => f.field === GRAPH_NODE).map(nodeOf);
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      const readers = consumers.get(i);
      if (readers) readers.push(n);
      else consumers.set(i, [n]);
    }
  }

  // Back from the logits through the epilogue to the projection; every node passed is part of the head.
  const head = new Set<GraphNode>();
  let projection: GraphNode | null = null;
  const queue = [producer.get('logits')];
  while (queue.length > 0) {
    const n = queue.shift();
    if (!n || head.has(n)) continue;
    head.add(n);
    if (PROJECTIONS.has(n.op)) {
      if (projection && projection !== n) return null;
      projection = n;
      continue;
    }
    // The projection's own quantisation (its scale also reaches the epilogue) is where the head begins.
    if (n.op === 'DynamicQuantizeLinear') continue;
    if (!EPILOGUE.has(n.op)) return null;
    if (head.size > 8) return null;
    for (const i of n.inputs) if (i && !initializers.has(i)) queue.push(producer.get(i));
  }
  if (!projection) return null;
  let target = projection;
  const quantize = producer.get(projection.inputs[0] ?? '');
  if (quantize?.op === 'DynamicQuantizeLinear') {
    // Quantised per tensor: slice before it, and only if nothing outside the head reads its outputs.
    const readers = quantize.outputs.flatMap((o) => consumers.get(o) ?? []);
    if (readers.some((r) => !head.has(r) && r !== projection)) return null;
    target = quantize;
  }
  const hidden = target.inputs[0];
  if (!hidden || initializers.has(hidden)) return null;
  const source = producer.get(hidden);
  // A reshape there could mean the positions are no longer axis 1.
  if (source && /Reshape|Flatten|Transpose|Squeeze/.test(source.op)) return null;

  const negated = 'petit_logits_keep_negated';
  const starts = 'petit_logits_keep_starts';
  const sliced = `${hidden}_last_positions`;
  const graph = new Writer();
  let inputsLeft = graphFields.filter((f) => f.field === GRAPH_INPUT).length;
  for (const f of graphFields) {
    if (f.field === GRAPH_NODE && f === target.field) {
      graph.bytes(GRAPH_NODE, node('Neg', [KEEP_INPUT], [negated], 'petit_logits_keep/Neg'));
      graph.bytes(
        GRAPH_NODE,
        node('Reshape', [negated, 'petit_shape_1'], [starts], 'petit_logits_keep/Reshape'),
      );
      graph.bytes(
        GRAPH_NODE,
        node(
          'Slice',
          [hidden, starts, 'petit_int64_max', 'petit_axis_1'],
          [sliced],
          'petit_logits_keep/Slice',
        ),
      );
      graph.bytes(GRAPH_NODE, withFirstInput(target, sliced));
      continue;
    }
    graph.raw(f.raw);
    if (f.field === GRAPH_INPUT && --inputsLeft === 0) {
      const scalarInt64 = new Writer().bytes(
        TYPE_TENSOR,
        new Writer().int(TENSOR_TYPE_ELEM, INT64).bytes(TENSOR_TYPE_SHAPE, new Writer()),
      );
      graph.bytes(
        GRAPH_INPUT,
        new Writer().string(VALUE_INFO_NAME, KEEP_INPUT).bytes(VALUE_INFO_TYPE, scalarInt64),
      );
      graph.bytes(GRAPH_INITIALIZER, int64Tensor('petit_shape_1', int64(1n)));
      graph.bytes(GRAPH_INITIALIZER, int64Tensor('petit_int64_max', int64(0x7fffffffffffffffn)));
      graph.bytes(GRAPH_INITIALIZER, int64Tensor('petit_axis_1', int64(1n)));
    }
  }
  const out = new Writer();
  for (const f of top) {
    if (f === graphField) out.bytes(MODEL_GRAPH, graph);
    else out.raw(f.raw);
  }
  return out.toBytes();
}

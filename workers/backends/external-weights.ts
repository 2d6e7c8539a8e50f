import {
  GRAPH_INITIALIZER,
  MODEL_GRAPH,
  TENSOR_DATA_LOCATION,
  TENSOR_RAW_DATA,
  WIRE_LEN,
  Writer,
  fields,
} from './onnx-protobuf.ts';

/**
 * Loads a model's weights into ONNX Runtime Web without the copies that cost most of its memory. Given a model
 * as one buffer, ORT copies it into the WASM heap, parses it (a second copy of every weight) and builds its
 * tensors (a third); the heap never shrinks, so the peak stays. Here every large initializer is marked as
 * external data whose "file" is the original buffer itself, at the offset where its bytes already are: ORT then
 * receives a graph of a few kilobytes and copies each weight once, from that buffer straight into its tensor
 * (`mountExternalData`, as transformers.js does for `.onnx_data` files). Nothing is copied to make the split.
 */

const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const DATA_LOCATION_EXTERNAL = 1;
/** Smaller tensors stay inline: they cost nothing, and ORT reads some (shapes, scalars) while optimizing. */
const MIN_EXTERNAL_BYTES = 1024;

export interface ExternalizedModel {
  /** The model with its large weights replaced by references into `data`. */
  graph: Uint8Array;
  /** The original model buffer, which the references point into. */
  data: Uint8Array;
  tensors: number;
  bytes: number;
}

/**
 * Splits `model` so that `graph` names its weights at `location` (the path to mount `data` under). Null when there
 * is nothing to gain or it cannot be done safely: no graph, no large inline weight, or weights already external.
 */
export function externalizeWeights(model: Uint8Array, location: string): ExternalizedModel | null {
  const top = [...fields(model)];
  const graphField = top.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graphField) return null;
  const graph = new Writer();
  let tensors = 0;
  let bytes = 0;
  for (const f of fields(graphField.bytes)) {
    if (f.field !== GRAPH_INITIALIZER) {
      graph.raw(f.raw);
      continue;
    }
    const parts = [...fields(f.bytes)];
    if (parts.some((p) => p.field === TENSOR_DATA_LOCATION && p.value === DATA_LOCATION_EXTERNAL))
      return null;
    const raw = parts.find((p) => p.field === TENSOR_RAW_DATA && p.wire === WIRE_LEN);
    if (!raw || raw.bytes.length < MIN_EXTERNAL_BYTES) {
      graph.raw(f.raw);
      continue;
    }
    const tensor = new Writer();
    for (const p of parts) if (p !== raw) tensor.raw(p.raw);
    const entries: [string, string][] = [
      ['location', location],
      ['offset', String(raw.bytes.byteOffset - model.byteOffset)],
      ['length', String(raw.bytes.length)],
    ];
    for (const [key, value] of entries)
      tensor.bytes(TENSOR_EXTERNAL_DATA, new Writer().string(ENTRY_KEY, key).string(ENTRY_VALUE, value));
    tensor.int(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL);
    graph.bytes(GRAPH_INITIALIZER, tensor);
    tensors++;
    bytes += raw.bytes.length;
  }
  if (tensors === 0) return null;
  const out = new Writer();
  for (const f of top) {
    if (f === graphField) out.bytes(MODEL_GRAPH, graph);
    else out.raw(f.raw);
  }
  return { graph: out.toBytes(), data: model, tensors, bytes };
}

import { env } from '@huggingface/transformers';
import type { ModelStore } from '../../src/models/store.ts';
import type { BackendLoadRequest } from './backend.ts';
import { externalizeWeights, type ExternalizedModel } from './external-weights.ts';
import { keepLastLogits } from './last-logits.ts';
import { ortWasmPaths } from './ort-wasm.ts';
import { rewriteQ4ToQ8 } from './q4-to-q8.ts';
import { WeightsSource, syncBlobReader } from './weights-source.ts';

/**
 * How transformers.js reads a model: every file from the model store (never the network), and on WASM the model
 * file as its q8 rewrite (for a q4 file) split into a small graph and its weights.
 */

type Match = (key: string) => Promise<Response | undefined>;

/** Part of the stored rewrite's key: bump it when rewriteQ4ToQ8's output changes. */
const Q8_REWRITE_KEY = 'petit-rewrite=q8-v1';
const Q4_ONNX = /\/onnx\/model_q4\.onnx$/;

/**
 * On WASM, a q4 model file is read as its q8 rewrite (see q4-to-q8.ts: about 5× faster decoding, measured in
 * BENCHMARKS.md). The rewrite is made on the first load and kept in the model store as a derived file of the
 * original, so later loads read it directly and deleting the model deletes it too.
 */
function q4AsQ8(store: ModelStore, match: Match): Match {
  return async (key) => {
    if (!Q4_ONNX.test(key)) return match(key);
    const stored = await store.matchDerived(key, Q8_REWRITE_KEY);
    if (stored) return stored;
    const original = await match(key);
    if (!original) return undefined;
    const bytes = new Uint8Array(await original.arrayBuffer());
    const { model } = rewriteQ4ToQ8(bytes);
    if (model) await store.putDerived(key, Q8_REWRITE_KEY, model);
    // Read next by splitWeights: the buffer itself, not one more model-sized copy.
    return bufferResponse(model ?? bytes);
  };
}

const MODEL_ONNX = /\/onnx\/model[^/]*\.onnx$/;
/** The mount name of the weights in the split graph. */
export const WEIGHTS_LOCATION = 'petit-weights';
/** Part of the stored split graph's key: bump it when externalizeWeights' or keepLastLogits' output changes. */
const SPLIT_GRAPH_KEY = 'petit-split=graph-v1';
/** The file's size is part of the key: a graph split from another version of the file is never used. */
const splitGraphKind = (fileBytes: number) => `${SPLIT_GRAPH_KEY}&size=${fileBytes}`;

/**
 * A response whose arrayBuffer() hands over `bytes` itself: transformers.js reads store files that way (it is
 * given no progress callback), and a real Response would copy a model-sized buffer once more.
 */
function bufferResponse(bytes: Uint8Array): Response {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (!whole) return new Response(bytes as Uint8Array<ArrayBuffer>);
  return {
    ok: true,
    status: 200,
    headers: new Headers({ 'content-length': String(bytes.byteLength) }),
    arrayBuffer: async () => bytes.buffer,
  } as unknown as Response;
}

/**
 * On WASM the model file reaches ONNX Runtime as a small graph plus its weights as external data at the offsets
 * where they already are in the file (external-weights.ts), so each weight is copied into the WASM heap once.
 * The first load reads the whole file to split it and keeps the graph (kilobytes) in the store beside the file;
 * later loads read only that graph. Either way ORT then reads each weight from the stored file as it needs it
 * (weights-source.ts), so the file is not held in memory beside ORT's copy (on the first load, once the garbage
 * collector has taken the buffer that was split). transformers.js asks for the graph under the file's
 * key; `weights` is what it hands ORT as the external data. `release()` lets go of everything once the session
 * exists, so that only ORT's copy stays.
 */
function splitWeights(
  store: ModelStore,
  match: Match,
  weights: WeightsSource,
): { match: Match; release: () => void; graphsSplit: () => number } {
  const pending = new Map<string, Promise<Uint8Array | undefined>>();
  const split = { graphs: 0 };
  const graphFor = async (key: string): Promise<Uint8Array | undefined> => {
    const response = await match(key);
    if (!response) return undefined;
    // A stored file as a Blob (on disk, not read); a fresh q4 rewrite is already bytes.
    const read = syncBlobReader();
    const blob =
      read && typeof (response as Partial<Response>).blob === 'function' ? await response.blob() : null;
    const stored = blob && (await store.matchDerived(key, splitGraphKind(blob.size)));
    if (stored && blob && read) {
      weights.fromBlob(blob, read);
      return new Uint8Array(await stored.arrayBuffer());
    }
    const bytes = new Uint8Array(await (blob ?? response).arrayBuffer());
    weights.fromBytes(bytes);
    // Not splittable (weights already external, or the file is corrupt): the file as it is, for ONNX Runtime
    // to load or to refuse with its own error, and an unused mount.
    let parts: ExternalizedModel | null;
    try {
      parts = externalizeWeights(bytes, WEIGHTS_LOCATION);
    } catch {
      parts = null;
    }
    if (!parts) return bytes;
    // On the graph alone (kilobytes): the vocabulary projection for the positions generation reads.
    const graph = keepLastLogits(parts.graph) ?? parts.graph;
    // Only an optimisation for the next load: a full store must not fail this one.
    await store
      .putDerived(key, splitGraphKind(bytes.byteLength), graph as Uint8Array<ArrayBuffer>)
      .catch(() => undefined);
    split.graphs++;
    // ORT reads the weights from disk on this load too: the file's buffer can be collected before ORT's copy grows.
    if (blob && read) weights.fromBlob(blob, read);
    return graph;
  };
  return {
    match: async (key) => {
      if (!MODEL_ONNX.test(key)) return match(key);
      // transformers.js may ask under more than one key (a local path, then the hub URL) and more than once.
      let graph = pending.get(key);
      if (!graph) pending.set(key, (graph = graphFor(key)));
      const bytes = await graph;
      return bytes ? bufferResponse(bytes) : undefined;
    },
    graphsSplit: () => split.graphs,
    release: () => {
      pending.clear();
      weights.release();
    },
  };
}

/**
 * Routes every file transformers.js asks for to the model store; it never downloads on its own. Returns what
 * to call once the model is loaded.
 */
export function configureTransformers(
  store: ModelStore,
  model: BackendLoadRequest,
): {
  release: () => void;
  externalData?: { path: string; data: Uint8Array }[];
  /** How the weights reached ORT on this load, for its load phases ('' when nothing to say). */
  weightsNote: () => string;
} {
  const { hubUrl, threads } = model;
  env.allowLocalModels = false;
  // "Remote" files are answered from the store; anything the store lacks is a 404, never a network request.
  env.allowRemoteModels = true;
  env.fetch = async () => new Response(null, { status: 404, statusText: 'Not in the model store' });
  env.useBrowserCache = false;
  env.useWasmCache = false;
  env.useCustomCache = true;
  const cache = store.cacheFor(model);
  const weights = new WeightsSource();
  const split =
    model.device === 'wasm'
      ? splitWeights(
          store,
          q4AsQ8(store, (key) => cache.match(key)),
          weights,
        )
      : null;
  env.customCache = split ? { match: split.match, put: cache.put } : cache;
  env.remoteHost = `${hubUrl.replace(/\/+$/, '')}/`;
  const onnx = env.backends.onnx;
  if (onnx.wasm) {
    // Self-hosted runtime files: never a CDN, and offline once the service worker has them.
    // The CPU-only build on WASM (much faster there), the asyncify one for WebGPU: see ort-wasm.ts.
    onnx.wasm.wasmPaths = ortWasmPaths(model.device, self.location.href);
    onnx.wasm.numThreads = threads;
    onnx.wasm.proxy = false;
  }
  return {
    release: () => split?.release(),
    weightsNote: () =>
      [
        split?.graphsSplit() ? 'the graph split off the file (kept for the next load)' : '',
        weights.reads ? `${weights.reads} weights read from the store one at a time` : '',
      ]
        .filter(Boolean)
        .join(', '),
    ...(split ? { externalData: [{ path: WEIGHTS_LOCATION, data: weights }] } : {}),
  };
}

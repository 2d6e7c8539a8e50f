import { env } from '@huggingface/transformers';
import type { ModelStore } from '../../src/models/store.ts';
import type { BackendLoadRequest } from './backend.ts';
import { externalizeWeights, type ExternalizedModel } from './external-weights.ts';
import { keepLastLogits } from './last-logits.ts';
import { ortWasmPaths } from './ort-wasm.ts';
import { rewriteQ4ToQ8 } from './q4-to-q8.ts';

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
/** The mount name of the weights in the split graph, and the suffix of the key transformers.js asks them under. */
export const WEIGHTS_LOCATION = 'petit-weights';
export const WEIGHTS_SUFFIX = '.petit-weights';

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
 * On WASM the model file reaches ONNX Runtime as a small graph plus its weights as external data pointing into
 * the file's own buffer (external-weights.ts): each weight is copied into the WASM heap once instead of three
 * times. transformers.js asks for the graph under the file's key and for the weights under the key plus
 * WEIGHTS_SUFFIX; whichever comes first reads and splits the file, once. `release()` drops the buffers once the
 * session exists, so that only ORT's copy stays.
 */
function splitWeights(match: Match): { match: Match; release: () => void } {
  const splits = new Map<string, Promise<{ graph: Uint8Array; data: Uint8Array } | null>>();
  const split = (key: string) => {
    let pending = splits.get(key);
    if (!pending) {
      pending = match(key).then(async (response) => {
        if (!response) return null;
        const bytes = new Uint8Array(await response.arrayBuffer());
        // Not splittable (weights already external, or the file is corrupt): the file as it is, for ONNX Runtime
        // to load or to refuse with its own error, and an unused empty mount.
        let parts: ExternalizedModel | null;
        try {
          parts = externalizeWeights(bytes, WEIGHTS_LOCATION);
          // On the graph alone (kilobytes): the vocabulary projection for the positions generation reads.
          if (parts) parts.graph = keepLastLogits(parts.graph) ?? parts.graph;
        } catch {
          parts = null;
        }
        return parts ?? { graph: bytes, data: new Uint8Array(0) };
      });
      splits.set(key, pending);
    }
    return pending;
  };
  return {
    match: async (key) => {
      if (key.endsWith(WEIGHTS_SUFFIX)) {
        const parts = await split(key.slice(0, -WEIGHTS_SUFFIX.length));
        return parts ? bufferResponse(parts.data) : undefined;
      }
      if (!MODEL_ONNX.test(key)) return match(key);
      const parts = await split(key);
      return parts ? bufferResponse(parts.graph) : undefined;
    },
    release: () => splits.clear(),
  };
}

/**
 * Routes every file transformers.js asks for to the model store; it never downloads on its own. Returns what
 * to call once the model is loaded.
 */
export function configureTransformers(store: ModelStore, model: BackendLoadRequest): { release: () => void } {
  const { hubUrl, threads } = model;
  env.allowLocalModels = false;
  // "Remote" files are answered from the store; anything the store lacks is a 404, never a network request.
  env.allowRemoteModels = true;
  env.fetch = async () => new Response(null, { status: 404, statusText: 'Not in the model store' });
  env.useBrowserCache = false;
  env.useWasmCache = false;
  env.useCustomCache = true;
  const cache = store.cacheFor(model);
  const split = model.device === 'wasm' ? splitWeights(q4AsQ8(store, (key) => cache.match(key))) : null;
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
  return { release: () => split?.release() };
}

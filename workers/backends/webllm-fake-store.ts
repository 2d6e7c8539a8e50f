import { PetitError, abortError } from '../../src/engine/errors.ts';
import { hubErrorFor, type DownloadOptions } from '../../src/models/store.ts';

/**
 * Test support for the web-llm tests (webllm-fake-engine.ts uses the first three): web-llm's error shapes, its
 * ArtifactCache, and an in-memory model store. No product code imports it.
 */

export function webLlmError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export const DEVICE_LOST =
  'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.';

/** lib/index.js `ArtifactCache` (the default "cache" backend). */
export class ArtifactCache {
  private cache?: Cache;
  constructor(private readonly scope: string) {}

  private async open(): Promise<Cache> {
    this.cache ??= await caches.open(this.scope);
    return this.cache;
  }

  async addToCache(url: string, signal?: AbortSignal): Promise<void> {
    const request = new Request(url, signal ? { signal } : undefined);
    const cache = await this.open();
    if ((await cache.match(request)) === undefined) await cache.add(request);
  }

  async fetchWithCache(url: string, signal?: AbortSignal): Promise<Response> {
    await this.addToCache(url, signal);
    const result = await (await this.open()).match(new Request(url));
    if (result === undefined) throw Error('Cannot fetch ' + url);
    return result;
  }

  async hasAllKeys(keys: string[]): Promise<boolean> {
    const cache = await this.open();
    return cache
      .keys()
      .then((requests) => requests.map((r) => r.url))
      .then((cached) => keys.every((k) => cached.includes(k)))
      .catch(() => false);
  }
}

/** The model store's surface web-llm's cache reaches: complete files by URL, downloaded over HTTP on a miss. */
export function memoryStore() {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const kept: { dtype: string; files: string[] }[] = [];
  let inFlight = 0;
  const store = {
    files,
    kept,
    get inFlight() {
      return inFlight;
    },
    async match(url: string) {
      const bytes = files.get(url);
      return bytes ? new Response(bytes) : undefined;
    },
    async fetchFile(url: string, options: DownloadOptions = {}) {
      if (files.has(url)) return { url, size: files.get(url)!.length, fromCache: true };
      const { signal } = options;
      inFlight += 1;
      try {
        let response: Response;
        try {
          response = await fetch(url, { signal });
        } catch (error) {
          if (signal?.aborted) throw abortError('The download was cancelled.');
          throw new PetitError('hub-unreachable', `The hub cannot be reached (${String(error)}).`);
        }
        if (!response.ok) throw hubErrorFor(response.status, url);
        const parts: Uint8Array[] = [];
        try {
          const reader = response.body!.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parts.push(value);
          }
        } catch (error) {
          if (signal?.aborted) throw abortError('The download was cancelled.');
          throw new PetitError('download-failed', `The connection dropped while downloading ${url}.`, {
            cause: error,
          });
        }
        const bytes = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
        files.set(url, bytes);
        return { url, size: bytes.length, fromCache: false };
      } finally {
        inFlight -= 1;
      }
    },
    async delete(url: string) {
      return files.delete(url);
    },
    async keep(_model: unknown, dtype: string, urls: string[]) {
      kept.push({ dtype, files: urls });
    },
  };
  return store;
}

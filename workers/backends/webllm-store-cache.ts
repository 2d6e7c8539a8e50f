import type { DownloadOptions, ModelStore } from '../../src/models/store.ts';

/**
 * A `Cache` over the model store for web-llm's artifact caches. web-llm (lib/cache_util) only calls `match` to
 * read an artifact and `add` to download one, so answering both from the store gives MLC files what ONNX files
 * get: resumable downloads, SHA-256 checks (catalog pin or the hub's ETag), the quota check before the first byte,
 * one copy on disk, and deletion from the Models screen.
 */
export interface StoreCacheHooks {
  signal: AbortSignal;
  /** Called for every file web-llm asks for, before it is downloaded (or read back). */
  onFile?: (url: string) => void;
  onProgress?: (url: string, loaded: number, total: number) => void;
  onDone?: (url: string, fromCache: boolean) => void;
  beforeBody?: (url: string, total: number, resumeFrom: number) => Promise<void>;
}

function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
}

export function storeCache(
  store: Pick<ModelStore, 'match' | 'fetchFile' | 'delete'>,
  hooks: StoreCacheHooks,
): Cache {
  const cache = {
    async match(request: RequestInfo | URL): Promise<Response | undefined> {
      return store.match(urlOf(request));
    },
    async add(request: RequestInfo | URL): Promise<void> {
      const url = urlOf(request);
      hooks.onFile?.(url);
      const options: DownloadOptions = {
        signal: hooks.signal,
        onProgress: ({ loaded, total }) => hooks.onProgress?.(url, loaded, total),
        beforeBody: (total, resumeFrom) => hooks.beforeBody?.(url, total, resumeFrom) ?? Promise.resolve(),
      };
      const stored = await store.fetchFile(url, options);
      hooks.onDone?.(url, stored?.fromCache ?? false);
    },
    async addAll(requests: (RequestInfo | URL)[]): Promise<void> {
      for (const request of requests) await cache.add(request);
    },
    async put(): Promise<void> {
      // web-llm never writes bodies itself; a file enters the store only through a verified download.
      throw new Error('The model store accepts files only through add().');
    },
    async delete(request: RequestInfo | URL): Promise<boolean> {
      return store.delete(urlOf(request));
    },
    async keys(): Promise<readonly Request[]> {
      // web-llm asks for keys only to report whether a model is cached; the worker's index answers that instead.
      return [];
    },
    async matchAll(request?: RequestInfo | URL): Promise<readonly Response[]> {
      const found = request ? await store.match(urlOf(request)) : undefined;
      return found ? [found] : [];
    },
  };
  return cache as Cache;
}

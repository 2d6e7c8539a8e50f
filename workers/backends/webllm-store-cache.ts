import { PetitError, isPetitError } from '../../src/engine/errors.ts';
import type { DownloadOptions, ModelStore } from '../../src/models/store.ts';

/**
 * A `Cache` over the model store for web-llm's artifact caches. web-llm (lib/index.js `ArtifactCache`) reads an
 * artifact with `match` and, on a miss, downloads it with `add`; `keys` only answers "is every shard here?". So
 * answering from the store gives MLC files what ONNX files get: resumable downloads, SHA-256 checks (catalog pin
 * or the hub's ETag), the quota check before the first byte, one copy on disk, and deletion from the Models screen.
 */
export interface StoreCacheHooks {
  signal: AbortSignal;
  /** Called once for every file web-llm uses, whether it is downloaded or read back from the store. */
  onFile?: (url: string) => void;
  onProgress?: (url: string, loaded: number, total: number) => void;
  onDone?: (url: string, fromCache: boolean) => void;
  beforeBody?: (url: string, total: number, resumeFrom: number) => Promise<void>;
  /** The model prefix that files outside it (the model library) are downloaded for. */
  owner?: string;
}

export interface StoreCache extends Cache {
  /** Resolves once no download started by web-llm is still running (they stop after the first failure). */
  idle(): Promise<void>;
}

function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
}

function signalOf(request: RequestInfo | URL): AbortSignal | null {
  return typeof request === 'object' && 'signal' in request ? request.signal : null;
}

export function storeCache(
  store: Pick<ModelStore, 'match' | 'fetchFile' | 'delete'>,
  hooks: StoreCacheHooks,
): StoreCache {
  const seen = new Set<string>();
  const running = new Set<Promise<unknown>>();
  // web-llm downloads shards in four loops under one Promise.all and cancels none of them when one fails.
  const failed = new AbortController();
  let firstFailure: unknown = null;
  const use = (url: string, fromCache: boolean) => {
    if (seen.has(url)) return;
    seen.add(url);
    hooks.onFile?.(url);
    if (fromCache) hooks.onDone?.(url, true);
  };
  const download = async (request: RequestInfo | URL) => {
    const url = urlOf(request);
    if (firstFailure) {
      throw new PetitError(
        'download-failed',
        'Another file of this model failed to download, so the rest were stopped.',
        { cause: firstFailure, details: { url } },
      );
    }
    const signals = [hooks.signal, failed.signal];
    const own = signalOf(request);
    if (own) signals.push(own);
    const signal = AbortSignal.any(signals);
    const first = !seen.has(url);
    seen.add(url);
    if (first) hooks.onFile?.(url);
    const options: DownloadOptions = {
      signal,
      onProgress: ({ loaded, total }) => hooks.onProgress?.(url, loaded, total),
      beforeBody: (total, resumeFrom) => hooks.beforeBody?.(url, total, resumeFrom) ?? Promise.resolve(),
      ...(hooks.owner && !url.startsWith(hooks.owner) ? { owner: hooks.owner } : {}),
    };
    try {
      const stored = await store.fetchFile(url, options);
      hooks.onDone?.(url, stored?.fromCache ?? false);
    } catch (error) {
      // The first real failure stops the other loops' downloads; their own aborts are not failures.
      if (!firstFailure && !(failed.signal.aborted && isPetitError(error, 'aborted'))) {
        firstFailure = error;
        failed.abort(error);
      }
      throw error;
    }
  };
  const cache = {
    async match(request: RequestInfo | URL): Promise<Response | undefined> {
      const url = urlOf(request);
      const found = await store.match(url);
      // Files already here are recorded too: a load that reads everything from the store still marks the
      // model complete and used.
      if (found) use(url, true);
      return found;
    },
    async add(request: RequestInfo | URL): Promise<void> {
      const work = download(request);
      running.add(work);
      try {
        await work;
      } finally {
        running.delete(work);
      }
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
      // web-llm asks only whether every shard is here; "no" makes it look each one up with match(), which the
      // store answers without a download, so nothing is lost and the answer never goes stale.
      return [];
    },
    async matchAll(request?: RequestInfo | URL): Promise<readonly Response[]> {
      const found = request ? await cache.match(request) : undefined;
      return found ? [found] : [];
    },
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
  return cache as StoreCache;
}

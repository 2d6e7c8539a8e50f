import { PetitError } from '../../src/engine/errors.ts';
import { describeHubFile, type ModelStore } from '../../src/models/store.ts';

/**
 * A read-only `Cache` over the model store for web-llm's artifact caches. web-llm (lib/index.js `ArtifactCache`)
 * reads an artifact with `match` and, on a miss, downloads it with `add`; `keys` only answers "is every shard
 * here?". Every file is put in the store beforehand (src/models/mlc-files.ts, the backend's `prepare`), so here a
 * miss means the store lost a file: an `invalid-model-file`, never a download.
 */
function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
}

function missing(url: string): PetitError {
  return new PetitError(
    'invalid-model-file',
    `The model store lacks ${describeHubFile(url)}, which web-llm needs. Load the model again to download it.`,
    { details: { url, backend: 'webllm' } },
  );
}

export function storeCache(store: Pick<ModelStore, 'match'>): Cache {
  const cache = {
    async match(request: RequestInfo | URL): Promise<Response | undefined> {
      return store.match(urlOf(request));
    },
    async add(request: RequestInfo | URL): Promise<void> {
      throw missing(urlOf(request));
    },
    async addAll(requests: (RequestInfo | URL)[]): Promise<void> {
      for (const request of requests) await cache.add(request);
    },
    async put(): Promise<void> {
      // web-llm never writes bodies itself; a file enters the store only through a verified download.
      throw new Error('The model store accepts files only through its own downloads.');
    },
    async delete(): Promise<boolean> {
      // Files leave the store with their model (the Models screen), never one by one from web-llm.
      return false;
    },
    async keys(): Promise<readonly Request[]> {
      // web-llm asks only whether every shard is here; "no" makes it look each one up with match().
      return [];
    },
    async matchAll(request?: RequestInfo | URL): Promise<readonly Response[]> {
      const found = request ? await cache.match(request) : undefined;
      return found ? [found] : [];
    },
  };
  return cache as unknown as Cache;
}

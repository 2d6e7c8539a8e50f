import { PetitError, abortError } from '../engine/errors.ts';

/**
 * The model store: every model file Petit runs comes through here, from the hub into Cache Storage.
 * A file becomes visible only once it is complete (`cache.put` after the last byte), so a backend never
 * reads half a file, and the cache key is the file's hub URL so transformers.js can read it as its cache.
 */
export const MODEL_CACHE_NAME = 'petit-models-v1';

export function hubFileUrl(hubUrl: string, repo: string, revision: string, path: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export interface DownloadProgress {
  loaded: number;
  /** 0 while unknown. */
  total: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Resolve to null instead of failing when the hub says the file does not exist. */
  optional?: boolean;
}

export interface StoredFile {
  url: string;
  size: number;
  fromCache: boolean;
}

/** `org/name: path/in/repo` for messages, from a hub file URL. */
export function describeHubFile(url: string): string {
  const [before, after] = url.split('/resolve/');
  if (after === undefined) return url;
  const repo = before.split('/').slice(-2).join('/');
  return `${repo}: ${after.split('/').slice(1).join('/')}`;
}

function hubErrorFor(status: number, url: string): PetitError {
  const name = describeHubFile(url);
  if (status === 401 || status === 403 || status === 404) {
    return new PetitError(
      'model-not-found',
      `The model hub has no file ${name} (HTTP ${status}). Check the model id and the hub address in Settings.`,
      { details: { status, url } },
    );
  }
  if (status >= 500) {
    return new PetitError(
      'hub-error',
      `The model hub failed to serve ${name} (HTTP ${status}). Try again in a moment.`,
      { details: { status, url } },
    );
  }
  return new PetitError('download-failed', `Downloading ${name} failed with HTTP ${status}.`, {
    details: { status, url },
  });
}

export class ModelStore {
  private cachePromise: Promise<Cache> | null = null;

  private cache(): Promise<Cache> {
    this.cachePromise ??= caches.open(MODEL_CACHE_NAME);
    return this.cachePromise;
  }

  async match(url: string): Promise<Response | undefined> {
    return (await this.cache()).match(url);
  }

  async has(url: string): Promise<boolean> {
    return (await this.match(url)) !== undefined;
  }

  async delete(url: string): Promise<boolean> {
    return (await this.cache()).delete(url);
  }

  /** Removes every stored file whose URL starts with `prefix` (e.g. one model's revision). */
  async deleteByPrefix(prefix: string): Promise<number> {
    const cache = await this.cache();
    const keys = await cache.keys();
    let removed = 0;
    for (const request of keys) {
      if (request.url.startsWith(prefix) && (await cache.delete(request))) removed++;
    }
    return removed;
  }

  /** Returns the stored file, downloading it first when absent. */
  async fetchFile(url: string, options: DownloadOptions = {}): Promise<StoredFile | null> {
    const cached = await this.match(url);
    if (cached) {
      const size = Number(cached.headers.get('content-length') ?? 0);
      options.onProgress?.({ loaded: size, total: size });
      return { url, size, fromCache: true };
    }
    return this.download(url, options);
  }

  private async download(
    url: string,
    { signal, onProgress, optional }: DownloadOptions,
  ): Promise<StoredFile | null> {
    let response: Response;
    try {
      response = await fetch(url, { signal, cache: 'no-store' });
    } catch (error) {
      if (signal?.aborted) throw abortError('The download was cancelled.');
      throw new PetitError(
        'hub-unreachable',
        `The model hub at ${new URL(url).origin} cannot be reached. Check your connection or the hub address in Settings.`,
        { cause: error, details: { url } },
      );
    }
    if (optional && (response.status === 404 || response.status === 401)) return null;
    if (!response.ok || !response.body) throw hubErrorFor(response.status, url);

    const total = Number(response.headers.get('content-length') ?? 0);
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let loaded = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onProgress?.({ loaded, total });
      }
    } catch (error) {
      if (signal?.aborted) throw abortError('The download was cancelled.');
      throw new PetitError(
        'download-failed',
        `The connection dropped while downloading ${describeHubFile(url)}. Try again.`,
        { cause: error, details: { url, loaded, total } },
      );
    }
    if (total > 0 && loaded !== total) {
      throw new PetitError(
        'download-failed',
        `Downloading ${describeHubFile(url)} stopped after ${loaded} of ${total} bytes. Try again.`,
        { details: { url, loaded, total } },
      );
    }
    const blob = new Blob(chunks);
    const headers = new Headers({
      'content-type': response.headers.get('content-type') ?? 'application/octet-stream',
      'content-length': String(blob.size),
    });
    const etag = response.headers.get('etag');
    if (etag) headers.set('etag', etag);
    // Committed only now, whole: a cancelled or failed download leaves nothing behind.
    await (await this.cache()).put(url, new Response(blob, { status: 200, headers }));
    return { url, size: blob.size, fromCache: false };
  }
}

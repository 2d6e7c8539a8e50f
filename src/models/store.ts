import { PetitError, abortError } from '../engine/errors.ts';
import { formatSize } from './format-size.ts';
import {
  describeHubFile,
  hubErrorFor,
  isLocalUrl,
  isQuotaError,
  modelPrefix,
  parseContentRange,
  quotaError,
  sha256FromEtag,
  unreachable,
  withModelLock,
} from './hub-files.ts';
import { Sha256 } from './sha256.ts';
import { journal, modelIndex, type ModelRecord, type PartialRecord } from './store-db.ts';
import type { DownloadOptions, StoredFile, Verification } from './store-types.ts';
import { OWNER_HEADER, deleteOwnedFiles, listStoredModels, type StoredModel } from './store-listing.ts';

export {
  LOCAL_HUB_URL,
  describeHubFile,
  hubErrorFor,
  hubFileUrl,
  isLocalUrl,
  modelPrefix,
  parseContentRange,
  sha256FromEtag,
  withModelLock,
  type ModelLockOptions,
} from './hub-files.ts';
export type { StoredModel } from './store-listing.ts';
export type {
  DownloadOptions,
  DownloadProgress,
  ExpectedFile,
  StoredFile,
  Verification,
} from './store-types.ts';

/**
 * The model store: every model file Petit runs comes through here, from the hub into Cache Storage.
 * - A file becomes visible only once it is complete and its SHA-256 checked (`cache.put` after the last byte), so
 *   a backend never reads half a file; the cache key is the file's hub URL, so transformers.js (and web-llm) read
 *   it as their cache.
 * - Bytes received so far wait in an IndexedDB journal, chunk by chunk with the hash state, so a download cut by
 *   a dropped connection or a reload resumes with `Range: bytes=N-` (and `If-Range: <ETag>`).
 * - A model's downloads run under a Web Lock, so two tabs asking for the same model download it once.
 */
export const MODEL_CACHE_NAME = 'petit-models-v1';

/** Bytes buffered before they are written to the journal (what a reload can lose at most). */
const CHUNK_BYTES = 4 * 2 ** 20;

export class ModelStore {
  private cachePromise: Promise<Cache> | null = null;

  private cache(): Promise<Cache> {
    this.cachePromise ??= caches.open(MODEL_CACHE_NAME);
    return this.cachePromise;
  }

  /** The complete, verified file, or undefined. The one read path for every backend. */
  async match(url: string): Promise<Response | undefined> {
    return (await this.cache()).match(url);
  }

  /**
   * A Cache-like view of one model revision for a runtime's cache hook (transformers.js `env.customCache`, and
   * web-llm's). transformers.js 4.3 looks `tokenizer_config.json` up at `main` whatever revision it loads
   * (get_tokenizer_files drops the revision): such lookups are answered from the revision being loaded.
   */
  cacheFor(model: { hubUrl: string; repo: string; revision: string }): {
    match(key: string): Promise<Response | undefined>;
    put(key: string, response: Response): Promise<void>;
  } {
    const loaded = modelPrefix(model.hubUrl, model.repo, model.revision);
    const main = modelPrefix(model.hubUrl, model.repo, 'main');
    return {
      match: async (key) =>
        (await this.match(key)) ??
        (loaded !== main && key.startsWith(main) ? this.match(loaded + key.slice(main.length)) : undefined),
      // Runtimes never write: only complete, verified downloads enter the store.
      put: async () => {},
    };
  }

  async has(url: string): Promise<boolean> {
    return (await this.match(url)) !== undefined;
  }

  /**
   * A file made from a stored one (the q8 rewrite of a q4 model file), kept beside it under its URL plus `?{kind}`,
   * so a later load reads it back and deleting the model deletes it. `kind` names the derivation and its version.
   */
  async matchDerived(url: string, kind: string): Promise<Response | undefined> {
    return this.match(`${url}?${kind}`);
  }

  async putDerived(url: string, kind: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const type = 'application/octet-stream';
    const headers = { 'content-type': type, 'content-length': String(bytes.byteLength) };
    try {
      await (await this.cache()).put(`${url}?${kind}`, new Response(bytes, { headers }));
    } catch (error) {
      if (isQuotaError(error)) throw quotaError(`${url}?${kind}`, error);
      throw error;
    }
  }

  async delete(url: string): Promise<boolean> {
    await journal.discard(url);
    return (await this.cache()).delete(url);
  }

  /** Removes every stored file (and partial download) whose URL starts with `prefix`. */
  async deleteByPrefix(prefix: string): Promise<number> {
    const cache = await this.cache();
    let removed = 0;
    for (const request of await cache.keys()) {
      if (request.url.startsWith(prefix) && (await cache.delete(request))) removed++;
    }
    await journal.discardByPrefix(prefix);
    return removed;
  }

  /** Stores a complete file that did not come from a hub (a model folder from disk). */
  async putFile(url: string, file: Blob, contentType = 'application/octet-stream'): Promise<void> {
    const headers = new Headers({
      'content-type': contentType,
      'content-length': String(file.size),
      'x-petit-verified': 'none',
    });
    try {
      await (await this.cache()).put(url, new Response(file, { status: 200, headers }));
    } catch (error) {
      if (isQuotaError(error)) throw quotaError(url, error);
      throw error;
    }
  }

  /** Bytes a file already has here: its whole size when complete, the journal's count when partial. */
  async storedBytes(url: string): Promise<{ complete: boolean; bytes: number }> {
    const cached = await this.match(url);
    if (cached) return { complete: true, bytes: Number(cached.headers.get('content-length') ?? 0) };
    return { complete: false, bytes: (await journal.get(url))?.received ?? 0 };
  }

  /** Returns the stored file, downloading (or resuming) it first when absent. */
  async fetchFile(url: string, options: DownloadOptions = {}): Promise<StoredFile | null> {
    const cached = await this.match(url);
    if (cached) {
      const size = Number(cached.headers.get('content-length') ?? 0);
      options.onProgress?.({ loaded: size, total: size });
      return { url, size, fromCache: true };
    }
    if (isLocalUrl(url)) {
      if (options.optional) return null;
      throw new PetitError(
        'model-not-found',
        `The model folder lacks ${url.split('/resolve/')[1]?.split('/').slice(1).join('/')}. Add the folder again with all its files.`,
        { details: { url } },
      );
    }
    return this.download(url, options, true);
  }

  private async download(
    url: string,
    options: DownloadOptions,
    mayRetry: boolean,
  ): Promise<StoredFile | null> {
    const { signal, onProgress, optional, expected } = options;
    let partial = await journal.get(url);
    if (partial && expected?.size !== undefined && partial.total > 0 && partial.total !== expected.size) {
      await journal.discard(url);
      partial = undefined;
    }
    const resumeFrom = partial && partial.received > 0 ? partial.received : 0;
    const headers: Record<string, string> = {};
    if (partial && resumeFrom > 0) {
      headers.Range = `bytes=${resumeFrom}-`;
      if (partial.etag) headers['If-Range'] = partial.etag;
    }
    let response: Response;
    try {
      response = await fetch(url, { signal, cache: 'no-store', headers });
    } catch (error) {
      if (signal?.aborted) throw abortError('The download was cancelled.');
      throw unreachable(url, error);
    }
    if (optional && (response.status === 404 || response.status === 401)) return null;

    if (response.status === 416 && partial) {
      // Every byte was already here (the cut came after the last one) or the journal no longer matches the file.
      if (partial.total > 0 && partial.received === partial.total)
        return this.commit(partial, response.headers, options, resumeFrom);
      await journal.discard(url);
      if (mayRetry) return this.download(url, options, false);
    }
    if (!response.ok || !response.body) throw hubErrorFor(response.status, url);

    let record: PartialRecord;
    const range = parseContentRange(response.headers.get('content-range'));
    const resumed = response.status === 206 && partial !== undefined && range?.start === partial.received;
    const fullSize = resumed ? range!.size : Number(response.headers.get('content-length') ?? 0);
    try {
      await options.beforeBody?.(fullSize, resumed ? resumeFrom : 0);
    } catch (error) {
      await response.body.cancel().catch(() => {});
      throw error;
    }
    if (resumed) {
      record = partial!;
    } else {
      if (response.status === 206) {
        // A range we did not ask for: start over with the whole file.
        await response.body.cancel().catch(() => {});
        await journal.discard(url);
        if (mayRetry) return this.download(url, options, false);
        throw hubErrorFor(response.status, url);
      }
      // 200: the whole file (new, or changed since the journal's ETag, which If-Range detects).
      record = {
        url,
        ...(options.owner ? { owner: options.owner } : {}),
        etag: response.headers.get('etag'),
        total: Number(response.headers.get('content-length') ?? 0),
        received: 0,
        hash: new Sha256().save(),
        chunks: 0,
        updatedAt: Date.now(),
      };
      try {
        await journal.begin(record);
      } catch (error) {
        await response.body.cancel().catch(() => {});
        if (isQuotaError(error)) throw quotaError(url, error);
        throw error;
      }
    }
    const total = record.total || (range?.size ?? 0);
    const hash = Sha256.resume(record.hash);
    let buffered: Uint8Array<ArrayBuffer>[] = [];
    let bufferedBytes = 0;
    const flush = async () => {
      if (bufferedBytes === 0) return;
      const blob = new Blob(buffered);
      buffered = [];
      bufferedBytes = 0;
      record = await journal.append({ ...record, hash: hash.save() }, blob);
    };
    const reader = response.body.getReader();
    let loaded = record.received;
    onProgress?.({ loaded, total });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        buffered.push(value);
        bufferedBytes += value.byteLength;
        loaded += value.byteLength;
        onProgress?.({ loaded, total });
        if (bufferedBytes >= CHUNK_BYTES) await flush();
      }
      await flush();
    } catch (error) {
      if (signal?.aborted) {
        await journal.discard(url).catch(() => {});
        throw abortError('The download was cancelled.');
      }
      if (isQuotaError(error)) {
        await journal.discard(url).catch(() => {});
        throw quotaError(url, error);
      }
      // Keep what arrived: the next attempt (or the next visit) asks for the rest only.
      await flush().catch(() => {});
      throw new PetitError(
        'download-failed',
        `The connection dropped while downloading ${describeHubFile(url)} (${formatSize(record.received)} of ${formatSize(total)} kept). Press Load again to continue where it stopped.`,
        { cause: error, details: { url, loaded: record.received, total } },
      );
    }
    if (total > 0 && record.received !== total) {
      throw new PetitError(
        'download-failed',
        `Downloading ${describeHubFile(url)} stopped after ${record.received} of ${total} bytes. Press Load again to continue.`,
        { details: { url, loaded: record.received, total } },
      );
    }
    return this.commit(record, response.headers, options, resumeFrom);
  }

  /** Checks size and SHA-256, then makes the file visible; a mismatch discards every byte of it. */
  private async commit(
    record: PartialRecord,
    responseHeaders: Headers,
    { expected, owner }: DownloadOptions,
    resumeFrom: number,
  ): Promise<StoredFile> {
    const { url } = record;
    const digest = Sha256.resume(record.hash).digestHex();
    const etag = record.etag ?? responseHeaders.get('etag');
    const fromEtag = sha256FromEtag(responseHeaders.get('x-linked-etag')) ?? sha256FromEtag(etag);
    const want = expected?.sha256?.toLowerCase() ?? fromEtag;
    const verified: Verification = expected?.sha256 ? 'catalog' : fromEtag ? 'etag' : 'none';
    const sizeWrong = expected?.size !== undefined && expected.size !== record.received;
    if ((want && want !== digest) || sizeWrong) {
      await journal.discard(url);
      const source = verified === 'catalog' ? 'the catalog' : 'the hub';
      throw new PetitError(
        'integrity-mismatch',
        sizeWrong
          ? `${describeHubFile(url)} has ${record.received} bytes where ${source} says ${expected?.size}. It was discarded; try again, and if it happens again the hub or a proxy is serving a damaged file.`
          : `${describeHubFile(url)} is damaged: its SHA-256 does not match ${source} (expected ${want!.slice(0, 12)}…, got ${digest.slice(0, 12)}…). It was discarded; try again, and if it happens again the hub or a proxy is serving a damaged file.`,
        { details: { url, expected: want, actual: digest, size: record.received } },
      );
    }
    const blob = new Blob(await journal.blobs(url));
    const headers = new Headers({
      'content-type': responseHeaders.get('content-type') ?? 'application/octet-stream',
      'content-length': String(blob.size),
      'x-petit-sha256': digest,
      'x-petit-verified': verified,
    });
    if (etag) headers.set('etag', etag);
    const belongsTo = owner ?? record.owner;
    if (belongsTo) headers.set(OWNER_HEADER, belongsTo);
    try {
      await (await this.cache()).put(url, new Response(blob, { status: 200, headers }));
    } catch (error) {
      if (isQuotaError(error)) throw quotaError(url, error);
      throw error;
    }
    await journal.discard(url);
    return { url, size: blob.size, fromCache: false, resumedFrom: resumeFrom, verified };
  }

  /** Every model with files here, complete or interrupted, for the Models screen. */
  async listModels(): Promise<StoredModel[]> {
    return listStoredModels(await this.cache());
  }

  /** Deletes a model revision: its files, its interrupted downloads and its index record. */
  async deleteModel(prefix: string): Promise<number> {
    return withModelLock(prefix, async () => {
      const removed = (await this.deleteByPrefix(prefix)) + (await this.deleteOwned(prefix, new Set()));
      await modelIndex.remove(prefix);
      return removed;
    });
  }

  /** Deletes the files outside `prefix` that belong to it (its model library), unless another model lists them. */
  private async deleteOwned(prefix: string, keep: ReadonlySet<string>): Promise<number> {
    return deleteOwnedFiles(await this.cache(), prefix, keep);
  }

  /**
   * After a cancelled load: drops the partial bytes and every file of the revision that no complete dtype needs,
   * so a cancel leaves nothing behind. Waits for the model's lock, so the downloading worker has stopped.
   * Also used after a quota refusal, so a model that cannot fit leaves no stray files.
   */
  async discardIncomplete(prefix: string, { locked = false }: { locked?: boolean } = {}): Promise<void> {
    const discard = async () => {
      await journal.discardByPrefix(prefix);
      const record = await modelIndex.get(prefix);
      const kept = new Set(Object.values(record?.files ?? {}).flat());
      const cache = await this.cache();
      for (const request of await cache.keys()) {
        if (request.url.startsWith(prefix) && !kept.has(request.url)) await cache.delete(request);
      }
      await this.deleteOwned(prefix, kept);
    };
    // Web Locks are not re-entrant: a caller that already holds the model's lock says so.
    await (locked ? discard() : withModelLock(prefix, discard));
  }

  /** Marks a dtype of a model as complete and just used (for the Models screen). */
  async keep(
    model: { hubUrl: string; repo: string; revision: string },
    dtype: string,
    files: string[],
  ): Promise<ModelRecord> {
    const prefix = modelPrefix(model.hubUrl, model.repo, model.revision);
    return modelIndex.keep(
      {
        prefix,
        hubUrl: model.hubUrl.replace(/\/+$/, ''),
        repo: model.repo,
        revision: model.revision,
        source: isLocalUrl(prefix) ? 'local' : 'hub',
      },
      dtype,
      files,
    );
  }
}

import { PetitError } from '../engine/errors.ts';
import {
  describeHubFile,
  isLocalUrl,
  isQuotaError,
  modelPrefix,
  quotaError,
  withModelLock,
} from './hub-files.ts';
import { pins } from './pins.ts';
import { journal, modelIndex, type ModelRecord } from './store-db.ts';
import { downloadFile } from './store-download.ts';
import { deleteOwnedFiles, listStoredModels, type StoredModel } from './store-listing.ts';
import type { DownloadOptions, StoredFile } from './store-types.ts';

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
      return { url, size, fromCache: true, sha256: cached.headers.get('x-petit-sha256') ?? undefined };
    }
    if (isLocalUrl(url)) {
      if (options.optional) return null;
      throw new PetitError(
        'model-not-found',
        `The model folder lacks ${url.split('/resolve/')[1]?.split('/').slice(1).join('/')}. Add the folder again with all its files.`,
        { details: { url } },
      );
    }
    return downloadFile(() => this.cache(), url, options);
  }

  /** Every model with files here, complete or interrupted, for the Models screen. */
  async listModels(): Promise<StoredModel[]> {
    return listStoredModels(await this.cache());
  }

  /**
   * Deletes a model revision: its files, its interrupted downloads, its index record and (unless `keepPin`, as
   * when the runtime could not read a file and it is downloaded again) the commit it was pinned to.
   */
  async deleteModel(prefix: string, { keepPin = false }: { keepPin?: boolean } = {}): Promise<number> {
    return withModelLock(prefix, async () => {
      const removed = (await this.deleteByPrefix(prefix)) + (await this.deleteOwned(prefix, new Set()));
      await modelIndex.remove(prefix);
      if (!keepPin) await pins.remove(prefix);
      return removed;
    });
  }

  /** Puts the complete file stored at `staged` in place of `url` (a model update) and drops `url`'s derived files. */
  async replaceWith(url: string, staged: string): Promise<void> {
    const cache = await this.cache();
    const file = await cache.match(staged);
    if (!file) throw new PetitError('download-failed', `${describeHubFile(staged)} is not in the store.`);
    for (const key of await cache.keys()) if (key.url.startsWith(`${url}?`)) await cache.delete(key);
    try {
      await cache.put(url, file);
    } catch (error) {
      if (isQuotaError(error)) throw quotaError(url, error);
      throw error;
    }
    await cache.delete(staged);
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

import { PetitError, abortError } from '../engine/errors.ts';
import { formatSize } from './format-size.ts';
import {
  describeHubFile,
  hubErrorFor,
  isQuotaError,
  parseContentRange,
  quotaError,
  unreachable,
} from './hub-files.ts';
import { checkIntegrity } from './integrity.ts';
import { Sha256 } from './sha256.ts';
import { journal, type PartialRecord } from './store-db.ts';
import { OWNER_HEADER } from './store-listing.ts';
import type { DownloadOptions, StoredFile } from './store-types.ts';

/**
 * One file from the hub into the store (store.ts): bytes into the IndexedDB journal chunk by chunk with the hash
 * state, resumed with `Range` + `If-Range`, then checked (integrity.ts) and put in Cache Storage whole.
 */

/** Bytes buffered before they are written to the journal (what a reload can lose at most). */
const CHUNK_BYTES = 4 * 2 ** 20;

export async function downloadFile(
  cache: () => Promise<Cache>,
  url: string,
  options: DownloadOptions,
  mayRetry = true,
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
    response = await fetch(options.from ?? url, { signal, cache: 'no-store', headers });
  } catch (error) {
    if (signal?.aborted) throw abortError('The download was cancelled.');
    throw unreachable(url, error);
  }
  if (optional && (response.status === 404 || response.status === 401)) return null;

  if (response.status === 416 && partial) {
    // Every byte was already here (the cut came after the last one) or the journal no longer matches the file.
    if (partial.total > 0 && partial.received === partial.total)
      return commit(cache, partial, response.headers, options, resumeFrom);
    await journal.discard(url);
    if (mayRetry) return downloadFile(cache, url, options, false);
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
      if (mayRetry) return downloadFile(cache, url, options, false);
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
  return commit(cache, record, response.headers, options, resumeFrom);
}

/** Checks size and SHA-256, then makes the file visible; a mismatch discards every byte of it. */
async function commit(
  cache: () => Promise<Cache>,
  record: PartialRecord,
  responseHeaders: Headers,
  { expected, owner }: DownloadOptions,
  resumeFrom: number,
): Promise<StoredFile> {
  const { url } = record;
  const digest = Sha256.resume(record.hash).digestHex();
  const etag = record.etag ?? responseHeaders.get('etag');
  const linked = responseHeaders.get('x-linked-etag');
  const got = { sha256: digest, size: record.received };
  const { verified, error } = checkIntegrity(url, got, expected, { linked, etag });
  if (error) {
    await journal.discard(url);
    throw error;
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
    await (await cache()).put(url, new Response(blob, { status: 200, headers }));
  } catch (error) {
    if (isQuotaError(error)) throw quotaError(url, error);
    throw error;
  }
  await journal.discard(url);
  const commit = responseHeaders.get('x-repo-commit');
  return {
    url,
    size: blob.size,
    fromCache: false,
    resumedFrom: resumeFrom,
    verified,
    commit,
    sha256: digest,
  };
}

import { PetitError, abortError } from '../engine/errors.ts';
import { ensureRoom, type PlannedFile } from './download-plan.ts';
import { hubErrorFor, hubFileUrl, unreachable, withModelLock } from './hub-files.ts';
import { pins, type PinRecord } from './pins.ts';
import { toHex } from './sha256.ts';
import { journal, modelIndex } from './store-db.ts';
import type { ModelStore } from './store.ts';
import type { DownloadProgress } from './store-types.ts';

/**
 * "Check for update" on the Models screen: which commit the model's revision (`main`) resolves to now, which of
 * the stored files differ from it, and, only once the user accepts, their download and the new pin. Until then
 * the pinned commit stays what every load reads.
 */

export interface FileChange {
  path: string;
  /** `changed`: other bytes at the new commit; `removed`: the new commit no longer has it. */
  kind: 'changed' | 'removed';
  oldSize: number;
  newSize: number | null;
  /** The new commit's SHA-256 of it, when the hub says (LFS files on the real hub; every file on the local one). */
  sha256: string | null;
}

export interface UpdateCheck {
  prefix: string;
  hubUrl: string;
  repo: string;
  revision: string;
  /** The commit the stored files are pinned to; null for a model stored before pinning (or from a hub that did not say). */
  pinned: string | null;
  /** The commit `revision` resolves to now. */
  commit: string;
  changes: FileChange[];
  /** The stored files the new commit has unchanged, with their SHA-256 and size (the new pin keeps them). */
  unchanged: Record<string, { sha256: string; size: number }>;
  /** Bytes an update downloads. */
  downloadBytes: number;
}

/** One file of the hub API's answer: `lfs` only for files in LFS on the real hub, `blobId` for every file. */
export interface Sibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; size?: number };
}

interface RevisionInfo {
  sha?: unknown;
  siblings?: Sibling[];
}

type StoredModelRef = { prefix: string; hubUrl: string; repo: string; revision: string };

/** The hub API's answer for a revision: the commit and its files (`?blobs=true` adds sizes and LFS hashes). */
async function revisionInfo(model: StoredModelRef, signal?: AbortSignal): Promise<Required<RevisionInfo>> {
  const url = `${model.hubUrl}/api/models/${model.repo}/revision/${encodeURIComponent(model.revision)}?blobs=true`;
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', signal });
  } catch (error) {
    if (signal?.aborted) throw abortError('The update check was cancelled.');
    throw unreachable(url, error);
  }
  if (!response.ok)
    throw hubErrorFor(response.status, `${model.hubUrl}/${model.repo}/resolve/${model.revision}/`);
  const info = (await response.json().catch(() => null)) as RevisionInfo | null;
  if (typeof info?.sha !== 'string' || !Array.isArray(info.siblings)) {
    throw new PetitError(
      'hub-error',
      `The model hub's answer about ${model.repo} lacks its commit or its files. Check the hub address in Settings.`,
      { details: { url } },
    );
  }
  return { sha: info.sha, siblings: info.siblings };
}

/** git's blob id of a file (what the hub gives for a file outside LFS, which has no SHA-256 there). */
export async function gitBlobId(bytes: ArrayBuffer): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.byteLength}\0`);
  const digest = await crypto.subtle.digest('SHA-1', await new Blob([head, bytes]).arrayBuffer());
  return toHex(new Uint8Array(digest));
}

/**
 * How a stored file differs from the same path at the new commit, or null when it is the same: by SHA-256 when
 * the hub gives one (LFS files), else by size and git's blob id.
 */
export async function compareFile(
  stored: { path: string; size: number; sha256: string | null; bytes: () => Promise<ArrayBuffer> },
  now: Sibling | undefined,
): Promise<FileChange | null> {
  const { path, size: oldSize } = stored;
  if (!now) return { path, kind: 'removed', oldSize, newSize: null, sha256: null };
  const sha256 = now.lfs?.sha256?.toLowerCase() ?? null;
  const newSize = now.size ?? now.lfs?.size ?? null;
  const same = sha256
    ? sha256 === stored.sha256
    : newSize === oldSize && (!now.blobId || now.blobId === (await gitBlobId(await stored.bytes())));
  return same ? null : { path, kind: 'changed', oldSize, newSize, sha256 };
}

/** Asks the hub which commit the model's revision is at now and which of its stored files that changes. */
export async function checkForUpdate(
  store: ModelStore,
  model: StoredModelRef,
  signal?: AbortSignal,
): Promise<UpdateCheck> {
  const [info, pin, record] = await Promise.all([
    revisionInfo(model, signal),
    pins.get(model.prefix),
    modelIndex.get(model.prefix),
  ]);
  const siblings = new Map(info.siblings.map((s) => [s.rfilename, s]));
  const urls = [...new Set(Object.values(record?.files ?? {}).flat())].filter((u) =>
    u.startsWith(model.prefix),
  );
  const changes: FileChange[] = [];
  const unchanged: UpdateCheck['unchanged'] = {};
  for (const url of urls.sort()) {
    const path = url.slice(model.prefix.length);
    const stored = await store.match(url);
    if (!stored) continue;
    const size = Number(stored.headers.get('content-length') ?? 0);
    const sha256 = pin?.files[path]?.sha256 ?? stored.headers.get('x-petit-sha256');
    const file = { path, size, sha256, bytes: () => stored.arrayBuffer() };
    const change = await compareFile(file, siblings.get(path));
    if (change) changes.push(change);
    else if (sha256) unchanged[path] = { sha256, size };
  }
  const downloadBytes = changes.reduce((sum, c) => sum + (c.newSize ?? 0), 0);
  return {
    ...model,
    pinned: pin?.commit ?? null,
    commit: info.sha as string,
    changes,
    unchanged,
    downloadBytes,
  };
}

/**
 * Downloads the new commit's changed files beside the old ones, then swaps them in and pins the new commit: an
 * interrupted update leaves the pinned model whole, and its downloaded files resume next time.
 */
export async function applyUpdate(
  store: ModelStore,
  check: UpdateCheck,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {},
): Promise<PinRecord> {
  return withModelLock(
    check.prefix,
    async () => {
      // Partial downloads of the old commit would resume against the new one.
      await journal.discardByPrefix(check.prefix);
      const staged = (c: FileChange) => hubFileUrl(check.hubUrl, check.repo, check.commit, c.path);
      const changed = check.changes.filter((c) => c.kind === 'changed');
      const plan: PlannedFile[] = changed.map((c) => ({
        path: c.path,
        url: staged(c),
        optional: false,
        expected: {
          ...(c.sha256 ? { sha256: c.sha256 } : {}),
          ...(c.newSize !== null ? { size: c.newSize } : {}),
        },
        size: c.newSize,
      }));
      await ensureRoom(store, plan);
      let done = 0;
      const stored = new Map<string, { sha256: string; size: number }>();
      for (const file of plan) {
        const got = await store.fetchFile(file.url, {
          signal,
          // Listed and deleted with the model while it waits to be swapped in.
          owner: check.prefix,
          expected: file.expected,
          onProgress: ({ loaded }) => onProgress?.({ loaded: done + loaded, total: check.downloadBytes }),
        });
        if (!got?.sha256)
          throw new PetitError('download-failed', `The hub sent no ${file.path} for the update.`);
        stored.set(file.path, { sha256: got.sha256, size: got.size });
        done += got.size;
      }
      // Recorded before the swap: if it is cut short, the next load of the model finishes it (finishUpdate).
      const old = await pins.get(check.prefix);
      await pins.put({
        ...(old ?? {
          prefix: check.prefix,
          commit: check.pinned ?? check.commit,
          files: {},
          pinnedAt: Date.now(),
        }),
        pending: {
          commit: check.commit,
          files: { ...check.unchanged, ...Object.fromEntries(stored) },
          replace: Object.fromEntries(changed.map((c) => [check.prefix + c.path, staged(c)])),
          remove: check.changes.filter((c) => c.kind === 'removed').map((c) => check.prefix + c.path),
        },
      });
      return (await finishUpdate(store, check.prefix))!;
    },
    { signal },
  );
}

/**
 * Swaps in an accepted update's downloaded files and pins its commit; nothing to do without one. Runs under the
 * model's lock: at the end of applyUpdate, and before a load (fetch-model.ts) in case the swap was cut short.
 */
export async function finishUpdate(store: ModelStore, prefix: string): Promise<PinRecord | undefined> {
  const pin = await pins.get(prefix);
  if (!pin?.pending) return pin;
  const { commit, files, replace, remove } = pin.pending;
  // A file swapped in before the cut no longer waits under its staged URL.
  for (const [url, staged] of Object.entries(replace))
    if (await store.has(staged)) await store.replaceWith(url, staged);
  for (const url of remove) await store.delete(url);
  const record: PinRecord = { prefix, commit, files, pinnedAt: Date.now() };
  await pins.put(record);
  return record;
}

import { PetitError, abortError } from '../engine/errors.ts';
import { withLock } from '../engine/web-locks.ts';

/** Hub URLs, the hub's and the browser's failures as typed errors, and the per-model Web Lock. */

/** The pseudo-hub of model folders added from disk: its files are only ever read from the store. */
export const LOCAL_HUB_URL = 'https://local.petit.invalid';

export function hubFileUrl(hubUrl: string, repo: string, revision: string, path: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** `{hub}/{repo}/resolve/{revision}/`: every file of one revision of one model starts with it. */
export function modelPrefix(hubUrl: string, repo: string, revision: string): string {
  return hubFileUrl(hubUrl, repo, revision, '');
}

export function isLocalUrl(url: string): boolean {
  return url.startsWith(`${LOCAL_HUB_URL}/`);
}

/** `org/name: path/in/repo` for messages, from a hub file URL. */
export function describeHubFile(url: string): string {
  const [before, after] = url.split('/resolve/');
  if (after === undefined) return url;
  const repo = before.split('/').slice(-2).join('/');
  return `${repo}: ${after.split('/').slice(1).join('/')}`;
}

export function hubErrorFor(status: number, url: string): PetitError {
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

export function unreachable(url: string, cause: unknown): PetitError {
  return new PetitError(
    'hub-unreachable',
    `The model hub at ${new URL(url).origin} cannot be reached. Check your connection or the hub address in Settings.`,
    { cause, details: { url } },
  );
}

export function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'QuotaExceededError' || error.code === 22);
}

export function quotaError(url: string, cause: unknown): PetitError {
  return new PetitError(
    'storage-quota',
    `The browser refused to store ${describeHubFile(url)}: its storage for this site is full. Delete models you no longer use (Models), or choose a smaller model.`,
    { cause, details: { url } },
  );
}

/** `bytes a-b/size` → its numbers; null when absent or malformed. */
export function parseContentRange(
  header: string | null,
): { start: number; end: number; size: number } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), size: m[3] === '*' ? 0 : Number(m[3]) };
}

/** The SHA-256 an ETag carries, as the Hugging Face hub's LFS ETags do (and the local hub's). */
export function sha256FromEtag(etag: string | null): string | null {
  const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(etag?.trim() ?? '');
  return m ? m[1].toLowerCase() : null;
}

export interface ModelLockOptions {
  signal?: AbortSignal;
}

/** Runs `work` holding the model's lock: other tabs and workers wait, then find the files in the store. */
export async function withModelLock<T>(
  prefix: string,
  work: () => Promise<T>,
  { signal }: ModelLockOptions = {},
) {
  try {
    return await withLock(`petit-model:${prefix}`, work, { signal });
  } catch (error) {
    if (signal?.aborted) throw abortError('Loading the model was cancelled.');
    throw error;
  }
}

import type { PlannedFile } from './download-plan.ts';
import { hubFileUrl, isLocalUrl } from './hub-files.ts';
import { downloadsDb, type PinRecord } from './store-db.ts';

/**
 * Pinning what was downloaded: the first download of a model records the commit the hub resolved its revision to
 * (`X-Repo-Commit`) and every file's SHA-256; later downloads and resumes fetch `/resolve/{commit}/` only, and a
 * file whose bytes differ under that commit is refused. Files stay stored under the revision's URL (`…/main/…`),
 * which is what the runtimes read; only where they are fetched from changes.
 */

export type { PinRecord } from './store-db.ts';

const COMMIT = /^[0-9a-f]{40}$/;

/** A revision that is already a commit (a catalog pin) needs no resolving: it is its own pin. */
export function isCommit(revision: string | null | undefined): revision is string {
  return typeof revision === 'string' && COMMIT.test(revision);
}

export const pins = {
  async get(prefix: string): Promise<PinRecord | undefined> {
    return (await downloadsDb()).get('pins', prefix);
  },

  async all(): Promise<PinRecord[]> {
    return (await downloadsDb()).getAll('pins');
  },

  async put(record: PinRecord): Promise<void> {
    await (await downloadsDb()).put('pins', record);
  },

  /** Records the commit of a model's first download; an existing pin wins (another tab may have pinned first). */
  async pin(prefix: string, commit: string): Promise<PinRecord> {
    const db = await downloadsDb();
    const tx = db.transaction('pins', 'readwrite');
    const record = (await tx.store.get(prefix)) ?? { prefix, commit, files: {}, pinnedAt: Date.now() };
    await tx.store.put(record);
    await tx.done;
    return record;
  },

  /** Adds a downloaded file's SHA-256 and size to the pin, unless it already has them. */
  async recordFile(prefix: string, path: string, file: { sha256: string; size: number }): Promise<void> {
    const db = await downloadsDb();
    const tx = db.transaction('pins', 'readwrite');
    const record = await tx.store.get(prefix);
    if (record && !record.files[path])
      await tx.store.put({ ...record, files: { ...record.files, [path]: file } });
    await tx.done;
  },

  async remove(prefix: string): Promise<void> {
    await (await downloadsDb()).delete('pins', prefix);
  },
};

/**
 * The plan with each file fetched from the pinned commit and held to the SHA-256 and size recorded for it. A
 * catalog pin (its own hash and size) is kept as it is: it is the stronger promise.
 */
export function pinPlan(
  plan: PlannedFile[],
  pin: PinRecord | undefined,
  model: { hubUrl: string; repo: string },
): PlannedFile[] {
  if (!pin) return plan;
  return plan.map((file) => {
    if (isLocalUrl(file.url)) return file;
    const from = hubFileUrl(model.hubUrl, model.repo, pin.commit, file.path);
    const recorded = pin.files[file.path];
    if (file.expected.sha256 || !recorded) return { ...file, from };
    return {
      ...file,
      from,
      expected: { sha256: recorded.sha256, size: recorded.size, commit: pin.commit },
      size: recorded.size,
    };
  });
}

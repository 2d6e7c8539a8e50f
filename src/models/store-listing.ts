import { LOCAL_HUB_URL } from './hub-files.ts';
import { downloadsDb, journal, modelIndex, type ModelRecord } from './store-db.ts';
import type { Verification } from './store-types.ts';

/** What the Models screen lists, read from the store's cache, journal and index; and deleting what a model owns. */

export interface StoredModel {
  prefix: string;
  hubUrl: string;
  repo: string;
  revision: string;
  /** The commit its files were downloaded at (pins.ts); null when not pinned. */
  commit: string | null;
  dtypes: string[];
  source: 'hub' | 'local';
  /** Bytes of complete files in the store. */
  bytes: number;
  files: { url: string; size: number; verified: Verification | null }[];
  /** Bytes waiting in the journal (an interrupted download). */
  partialBytes: number;
  /** Whether the index lists a complete dtype; false for a download that never finished. */
  complete: boolean;
  addedAt: number | null;
  lastUsed: number | null;
}

function parsePrefix(prefix: string): { hubUrl: string; repo: string; revision: string } {
  const [before, after] = prefix.split('/resolve/');
  const parts = before.split('/');
  return {
    hubUrl: parts.slice(0, -2).join('/'),
    repo: parts.slice(-2).join('/'),
    revision: decodeURIComponent(after.replace(/\/$/, '')),
  };
}

export function prefixOf(url: string): string | null {
  const m = /^(.*?\/resolve\/[^/]+\/)/.exec(url);
  return m ? m[1] : null;
}

/** Header of a stored file naming the model it was downloaded for, when its URL is outside that model's prefix. */
export const OWNER_HEADER = 'x-petit-model';

/**
 * The model a stored file belongs to: a kept model that lists it (a library two models share stays with the one
 * still kept), else the model it was downloaded for, else the revision its URL is under.
 */
function ownerOf(url: string, response: Response | undefined, listedBy: Map<string, string>): string | null {
  return listedBy.get(url) ?? response?.headers.get(OWNER_HEADER) ?? prefixOf(url);
}

function listedBy(records: readonly ModelRecord[], except?: string): Map<string, string> {
  const owners = new Map<string, string>();
  for (const record of records) {
    if (record.prefix === except) continue;
    for (const url of Object.values(record.files).flat()) {
      if (!url.startsWith(record.prefix) && !owners.has(url)) owners.set(url, record.prefix);
    }
  }
  return owners;
}

/** Every model with files in `cache` (the store's), complete or interrupted, for the Models screen. */
export async function listStoredModels(cache: Cache): Promise<StoredModel[]> {
  const byPrefix = new Map<string, StoredModel>();
  const all = await modelIndex.all();
  const records = new Map(all.map((r) => [r.prefix, r]));
  const owners = listedBy(all);
  const pinned = new Map((await (await downloadsDb()).getAll('pins')).map((p) => [p.prefix, p.commit]));
  const get = (prefix: string): StoredModel => {
    let model = byPrefix.get(prefix);
    if (!model) {
      const record = records.get(prefix);
      model = {
        prefix,
        ...parsePrefix(prefix),
        commit: pinned.get(prefix) ?? null,
        dtypes: record?.dtypes ?? [],
        source: record?.source ?? (prefix.startsWith(LOCAL_HUB_URL) ? 'local' : 'hub'),
        bytes: 0,
        files: [],
        partialBytes: 0,
        complete: (record?.dtypes.length ?? 0) > 0,
        addedAt: record?.addedAt ?? null,
        lastUsed: record?.lastUsed ?? null,
      };
      byPrefix.set(prefix, model);
    }
    return model;
  };
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const prefix = ownerOf(request.url, response, owners);
    if (!prefix) continue;
    const size = Number(response?.headers.get('content-length') ?? 0);
    const model = get(prefix);
    model.bytes += size;
    model.files.push({
      url: request.url,
      size,
      verified: (response?.headers.get('x-petit-verified') as Verification | null) ?? null,
    });
  }
  for (const partial of await journal.all()) {
    const prefix = owners.get(partial.url) ?? partial.owner ?? prefixOf(partial.url);
    if (prefix) get(prefix).partialBytes += partial.received;
  }
  return [...byPrefix.values()].sort((a, b) => (b.lastUsed ?? 0) - (a.lastUsed ?? 0));
}

/** Deletes the files outside `prefix` that belong to it (its model library), unless another model lists them. */
export async function deleteOwnedFiles(
  cache: Cache,
  prefix: string,
  keep: ReadonlySet<string>,
): Promise<number> {
  const all = await modelIndex.all();
  const others = listedBy(all, prefix);
  const mine = new Set(Object.values(all.find((r) => r.prefix === prefix)?.files ?? {}).flat());
  let removed = 0;
  for (const request of await cache.keys()) {
    const { url } = request;
    if (url.startsWith(prefix) || keep.has(url) || others.has(url)) continue;
    const owned = mine.has(url) || (await cache.match(request))?.headers.get(OWNER_HEADER) === prefix;
    if (owned && (await cache.delete(request))) removed++;
  }
  for (const partial of await journal.all()) {
    if (partial.owner === prefix && !keep.has(partial.url) && !others.has(partial.url))
      await journal.discard(partial.url);
  }
  return removed;
}

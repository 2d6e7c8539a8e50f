import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Sha256State } from './sha256.ts';

/**
 * IndexedDB side of the model store: the journal of downloads in progress (bytes received so far, in chunks, with
 * the SHA-256 state at each chunk so a resumed download continues its hash) and the index of kept models (which
 * dtypes, when last used). Complete files live in Cache Storage, never here.
 */
export const DOWNLOADS_DB_NAME = 'petit-downloads';

export interface PartialRecord {
  url: string;
  /** The hub's ETag for these bytes; a resume sends it as If-Range. */
  etag: string | null;
  /** Bytes of the whole file, 0 when the hub did not say. */
  total: number;
  received: number;
  hash: Sha256State;
  chunks: number;
  updatedAt: number;
  /** The model prefix the file is downloaded for, when its URL is outside it (web-llm's model library). */
  owner?: string;
}

export interface ChunkRecord {
  url: string;
  index: number;
  data: Blob;
}

export interface ModelRecord {
  /** The hub URL prefix of the revision: `{hub}/{repo}/resolve/{revision}/`. */
  prefix: string;
  hubUrl: string;
  repo: string;
  revision: string;
  dtypes: string[];
  /**
   * Files of each complete dtype, by URL (shared files appear under every dtype that needs them); for an MLC
   * build this includes its model library, whose URL is outside the prefix.
   */
  files: Record<string, string[]>;
  source: 'hub' | 'local';
  addedAt: number;
  lastUsed: number;
}

/** What a model was downloaded at (pins.ts): later downloads and resumes fetch this commit only. */
export interface PinRecord {
  /** The model's prefix in the store, `{hub}/{repo}/resolve/{revision}/` (the revision asked for, e.g. `main`). */
  prefix: string;
  /** The commit the hub resolved the revision to at the first download (`X-Repo-Commit`). */
  commit: string;
  /** Every file downloaded at that commit, by path in the repo. */
  files: Record<string, { sha256: string; size: number }>;
  pinnedAt: number;
  /** An accepted update whose files are all downloaded but maybe not all swapped in (model-update.ts). */
  pending?: {
    commit: string;
    files: Record<string, { sha256: string; size: number }>;
    /** Stored file URL → the URL its new version waits under. */
    replace: Record<string, string>;
    remove: string[];
  };
}

interface DownloadsSchema extends DBSchema {
  partials: { key: string; value: PartialRecord };
  chunks: { key: [string, number]; value: ChunkRecord };
  models: { key: string; value: ModelRecord };
  pins: { key: string; value: PinRecord };
}

/** The schema changes only by appending a step: a database at version N runs steps N+1… on open. */
const MIGRATIONS: ((db: IDBPDatabase<DownloadsSchema>) => void)[] = [
  (db) => {
    db.createObjectStore('partials', { keyPath: 'url' });
    db.createObjectStore('chunks', { keyPath: ['url', 'index'] });
    db.createObjectStore('models', { keyPath: 'prefix' });
  },
  (db) => {
    db.createObjectStore('pins', { keyPath: 'prefix' });
  },
];

let dbPromise: Promise<IDBPDatabase<DownloadsSchema>> | null = null;

/** Opens (and migrates) the downloads database; `name` other than the default is for tests. */
export function openDownloadsDb(
  name = DOWNLOADS_DB_NAME,
  onBlocking?: () => void,
): Promise<IDBPDatabase<DownloadsSchema>> {
  return openDB<DownloadsSchema>(name, MIGRATIONS.length, {
    upgrade(db, oldVersion) {
      for (const step of MIGRATIONS.slice(oldVersion)) step(db);
    },
    blocking: onBlocking,
  });
}

export function downloadsDb(): Promise<IDBPDatabase<DownloadsSchema>> {
  // A newer version opened elsewhere (a tab or worker after an update): let it upgrade, reopen on next use.
  dbPromise ??= openDownloadsDb(DOWNLOADS_DB_NAME, () => {
    void dbPromise?.then((db) => db.close());
    dbPromise = null;
  });
  return dbPromise;
}

const chunkRange = (url: string) => IDBKeyRange.bound([url, 0], [url, Infinity]);

export const journal = {
  async get(url: string): Promise<PartialRecord | undefined> {
    return (await downloadsDb()).get('partials', url);
  },

  async all(): Promise<PartialRecord[]> {
    return (await downloadsDb()).getAll('partials');
  },

  async begin(record: PartialRecord): Promise<void> {
    const db = await downloadsDb();
    const tx = db.transaction(['partials', 'chunks'], 'readwrite');
    await tx.objectStore('chunks').delete(chunkRange(record.url));
    await tx.objectStore('partials').put(record);
    await tx.done;
  },

  /** Stores a chunk and the new byte count and hash state in one transaction: both or neither survive a crash. */
  async append(record: PartialRecord, data: Blob): Promise<PartialRecord> {
    const db = await downloadsDb();
    const next = {
      ...record,
      received: record.received + data.size,
      chunks: record.chunks + 1,
      updatedAt: Date.now(),
    };
    const tx = db.transaction(['partials', 'chunks'], 'readwrite');
    await tx.objectStore('chunks').put({ url: record.url, index: record.chunks, data });
    await tx.objectStore('partials').put(next);
    await tx.done;
    return next;
  },

  async blobs(url: string): Promise<Blob[]> {
    const chunks = await (await downloadsDb()).getAll('chunks', chunkRange(url));
    return chunks.sort((a, b) => a.index - b.index).map((c) => c.data);
  },

  async discard(url: string): Promise<void> {
    const db = await downloadsDb();
    const tx = db.transaction(['partials', 'chunks'], 'readwrite');
    await tx.objectStore('chunks').delete(chunkRange(url));
    await tx.objectStore('partials').delete(url);
    await tx.done;
  },

  async discardByPrefix(prefix: string): Promise<number> {
    const urls = (await journal.all()).map((p) => p.url).filter((u) => u.startsWith(prefix));
    for (const url of urls) await journal.discard(url);
    return urls.length;
  },
};

export const modelIndex = {
  async all(): Promise<ModelRecord[]> {
    return (await downloadsDb()).getAll('models');
  },

  async get(prefix: string): Promise<ModelRecord | undefined> {
    return (await downloadsDb()).get('models', prefix);
  },

  /** Records that a dtype of a model is complete in the store, and that it was just used. */
  async keep(
    entry: Omit<ModelRecord, 'dtypes' | 'files' | 'addedAt' | 'lastUsed'>,
    dtype: string,
    files: string[],
  ) {
    const db = await downloadsDb();
    const tx = db.transaction('models', 'readwrite');
    const existing = await tx.store.get(entry.prefix);
    const now = Date.now();
    const record: ModelRecord = existing
      ? { ...existing, lastUsed: now }
      : { ...entry, dtypes: [], files: {}, addedAt: now, lastUsed: now };
    record.files = { ...record.files, [dtype]: files };
    record.dtypes = Object.keys(record.files);
    await tx.store.put(record);
    await tx.done;
    return record;
  },

  async remove(prefix: string): Promise<void> {
    await (await downloadsDb()).delete('models', prefix);
  },
};

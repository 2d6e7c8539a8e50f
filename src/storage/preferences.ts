/**
 * The app's preferences in the one IndexedDB database: the settings and the escalation config (each one record in
 * the `settings` store) and the savings ledger (one record per answer in `ledger`, so an answer appends a few
 * hundred bytes instead of rewriting thousands of entries). Values are stored as the app gives them; the app
 * checks their shape when it reads them (src/app/persisted.ts).
 */
import type { IDBPDatabase } from 'idb';
import { storageError, type PetitDB } from './schema.ts';

export type PreferenceKey = 'app-settings' | 'escalation';

/** Where Petit kept these before IndexedDB, in localStorage. */
export const LEGACY_KEYS = {
  'app-settings': 'petit.settings.v1',
  escalation: 'petit.escalation.v1',
  ledger: 'petit.savings.v1',
} as const;

const MIGRATED = 'local-storage-migrated';

export interface Preferences {
  'app-settings': unknown;
  escalation: unknown;
  ledger: unknown[];
}

export interface MigrationResult {
  /** False when this database had already taken them (another tab, or an earlier visit). */
  migrated: boolean;
  keys: string[];
  ledgerEntries: number;
}

function parse(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class PreferencesStore {
  readonly #db: IDBPDatabase<PetitDB>;

  constructor(db: IDBPDatabase<PetitDB>) {
    this.#db = db;
  }

  async readAll(): Promise<Preferences> {
    try {
      const tx = this.#db.transaction(['settings', 'ledger'], 'readonly');
      const [app, escalation, ledger] = await Promise.all([
        tx.objectStore('settings').get('app-settings'),
        tx.objectStore('settings').get('escalation'),
        tx.objectStore('ledger').getAll(),
      ]);
      await tx.done;
      return { 'app-settings': app, escalation, ledger };
    } catch (error) {
      throw storageError('read your settings', error);
    }
  }

  async put(key: PreferenceKey, value: unknown): Promise<void> {
    try {
      await this.#db.put('settings', value, key);
    } catch (error) {
      throw storageError('save your settings', error);
    }
  }

  /** Appends entries and drops the oldest beyond `keep`, in one transaction. */
  async appendLedger(entries: readonly unknown[], keep: number): Promise<void> {
    try {
      const tx = this.#db.transaction('ledger', 'readwrite');
      for (const entry of entries) void tx.store.add(entry);
      let excess = (await tx.store.count()) - keep;
      for (let cursor = await tx.store.openCursor(); cursor && excess > 0; cursor = await cursor.continue()) {
        void cursor.delete();
        excess--;
      }
      await tx.done;
    } catch (error) {
      throw storageError('save the savings ledger', error);
    }
  }

  async replaceLedger(entries: readonly unknown[]): Promise<void> {
    try {
      const tx = this.#db.transaction('ledger', 'readwrite');
      void tx.store.clear();
      for (const entry of entries) void tx.store.add(entry);
      await tx.done;
    } catch (error) {
      throw storageError('save the savings ledger', error);
    }
  }

  /**
   * Moves what an earlier Petit kept in localStorage into this database, once: the check and the writes are one
   * transaction, so two tabs opening at the same time cannot both copy the ledger. The localStorage keys are
   * removed only after the transaction has committed.
   */
  async migrateFrom(source: Pick<Storage, 'getItem' | 'removeItem'>): Promise<MigrationResult> {
    const values = {
      'app-settings': parse(source.getItem(LEGACY_KEYS['app-settings'])),
      escalation: parse(source.getItem(LEGACY_KEYS.escalation)),
      ledger: parse(source.getItem(LEGACY_KEYS.ledger)),
    };
    const result: MigrationResult = { migrated: false, keys: [], ledgerEntries: 0 };
    try {
      const tx = this.#db.transaction(['settings', 'ledger', 'meta'], 'readwrite');
      if ((await tx.objectStore('meta').get(MIGRATED)) === undefined) {
        result.migrated = true;
        const settings = tx.objectStore('settings');
        for (const key of ['app-settings', 'escalation'] as const) {
          // A value already here is newer than the leftover in localStorage.
          if (values[key] === undefined || (await settings.get(key)) !== undefined) continue;
          void settings.put(values[key], key);
          result.keys.push(key);
        }
        if (Array.isArray(values.ledger) && (await tx.objectStore('ledger').count()) === 0) {
          for (const entry of values.ledger) void tx.objectStore('ledger').add(entry);
          result.ledgerEntries = values.ledger.length;
          result.keys.push('ledger');
        }
        void tx.objectStore('meta').put(new Date().toISOString(), MIGRATED);
      }
      await tx.done;
    } catch (error) {
      throw storageError('move your settings into the new store', error);
    }
    for (const key of Object.values(LEGACY_KEYS)) source.removeItem(key);
    return result;
  }
}

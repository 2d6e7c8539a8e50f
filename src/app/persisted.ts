/**
 * The app's preferences (settings, escalation config, savings ledger), read from IndexedDB once before the first
 * render and then served from memory, so components read them synchronously; every change is written through.
 * The first start after an update moves what earlier versions kept in localStorage (src/storage/preferences.ts).
 */
import { DEFAULT_DB_NAME, openDatabase } from '../storage/schema.ts';
import {
  PreferencesStore,
  type MigrationResult,
  type PreferenceKey,
  type Preferences,
} from '../storage/preferences.ts';

let store: PreferencesStore | null = null;
let cache: Preferences = { 'app-settings': undefined, escalation: undefined, ledger: [] };
let reportError = (error: unknown) =>
  console.error('Petit could not save your settings; they stay as they are until you close the page.', error);

export interface HydrateOptions {
  /** IndexedDB database name (tests use their own). */
  name?: string;
  /** Where earlier versions kept the preferences (tests pass their own). */
  legacy?: Pick<Storage, 'getItem' | 'removeItem'>;
  onError?: (error: unknown) => void;
}

/**
 * Opens the database, takes over localStorage's old data once, and reads everything. Without IndexedDB (some
 * private windows) the defaults are used for the session. Returns what was migrated, or null without a store.
 */
export async function hydratePreferences(options: HydrateOptions = {}): Promise<MigrationResult | null> {
  if (options.onError) reportError = options.onError;
  try {
    const db = await openDatabase({ name: options.name ?? DEFAULT_DB_NAME });
    store = new PreferencesStore(db);
    const legacy = options.legacy ?? globalThis.localStorage;
    const migration = legacy ? await store.migrateFrom(legacy) : null;
    cache = await store.readAll();
    return migration;
  } catch (error) {
    store = null;
    reportError(error);
    return null;
  }
}

export function storedPreference(key: PreferenceKey): unknown {
  return cache[key];
}

export function savePreference(key: PreferenceKey, value: unknown): void {
  cache = { ...cache, [key]: value };
  store?.put(key, value).catch(reportError);
}

export function storedLedger(): readonly unknown[] {
  return cache.ledger;
}

/**
 * Saves the ledger the app now holds, keeping its last `keep` entries. The usual change is one answer added at
 * the end: only what follows the last entry already saved is written.
 */
export function saveLedger(entries: readonly unknown[], keep: number): void {
  const saved = cache.ledger;
  const last = saved.length > 0 ? entries.lastIndexOf(saved[saved.length - 1]) : -1;
  cache = { ...cache, ledger: entries.slice(-keep) };
  if (!store) return;
  const write =
    saved.length === 0 || last >= 0
      ? store.appendLedger(entries.slice(last + 1), keep)
      : store.replaceLedger(entries.slice(-keep));
  write.catch(reportError);
}

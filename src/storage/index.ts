/**
 * Petit's storage: conversations, preferences (settings, escalation config, savings ledger) and API keys, all in
 * one IndexedDB database.
 *
 *   const storage = await openStorage();
 *   await storage.conversations.markInterrupted(); // once at startup
 */
import type { IDBPDatabase } from 'idb';
import { ConversationStore, type ConversationStoreOptions } from './conversations.ts';
import { DEFAULT_DB_NAME, openDatabase, type PetitDB } from './schema.ts';
import { RouterWeightsStore } from './router-weights.ts';
import { SecretStore } from './secrets.ts';
import { PreferencesStore } from './preferences.ts';

export interface OpenStorageOptions extends ConversationStoreOptions {
  /** IndexedDB database name (tests use their own). */
  name?: string;
  /** Another tab opened a newer version of the database; this connection was closed. Ask the user to reload. */
  onStale?: () => void;
}

export class PetitStorage {
  readonly conversations: ConversationStore;
  readonly preferences: PreferencesStore;
  readonly secrets: SecretStore;
  readonly routerWeights: RouterWeightsStore;
  readonly name: string;
  readonly #db: IDBPDatabase<PetitDB>;

  constructor(db: IDBPDatabase<PetitDB>, name: string, options: ConversationStoreOptions = {}) {
    this.#db = db;
    this.name = name;
    this.conversations = new ConversationStore(db, name, options);
    this.preferences = new PreferencesStore(db);
    this.secrets = new SecretStore(db);
    this.routerWeights = new RouterWeightsStore(db);
  }

  /** Closes the connection; streaming writers are abandoned as on a page unload (their messages stay 'streaming'). */
  close(): void {
    this.conversations.abandonWriters();
    this.#db.close();
  }
}

export async function openStorage(options: OpenStorageOptions = {}): Promise<PetitStorage> {
  const name = options.name ?? DEFAULT_DB_NAME;
  const db = await openDatabase({ name, onStale: options.onStale });
  return new PetitStorage(db, name, options);
}

export { ConversationStore, StreamingWriter, DEFAULT_TITLE } from './conversations.ts';
export type { StreamingOptions, FinishOptions, ConversationStoreOptions } from './conversations.ts';
export { PreferencesStore, LEGACY_KEYS } from './preferences.ts';
export type { PreferenceKey, Preferences, MigrationResult } from './preferences.ts';
export { SecretStore } from './secrets.ts';
export { RouterWeightsStore, ROUTER_WEIGHTS_KEY } from './router-weights.ts';
export { DB_VERSION, DEFAULT_DB_NAME } from './schema.ts';
export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  validateExport,
  parseJsonExport,
  parseMarkdownExport,
  toMarkdown,
} from './export-format.ts';
export type { ConversationExport } from './export-format.ts';
export * from './types.ts';

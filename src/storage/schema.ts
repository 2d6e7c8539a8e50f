import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { PetitError } from '../engine/errors.ts';
import type { Conversation, StoredMessage } from './types.ts';

export const DEFAULT_DB_NAME = 'petit';

/** A conversation row; its messages live in their own store so a streaming update rewrites one small record. */
export type ConversationRecord = Omit<Conversation, 'messages'> & {
  messageCount: number;
  /** Next message `seq`; never reused, so order survives deletes and concurrent appends. */
  nextSeq: number;
};

export type MessageRecord = StoredMessage & { conversationId: string; seq: number };

export interface EncryptedSecret {
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

export interface PetitDB extends DBSchema {
  conversations: { key: string; value: ConversationRecord; indexes: { byUpdatedAt: number } };
  messages: {
    /** [conversationId, messageId]: message ids only need to be unique within their conversation. */
    key: [string, string];
    value: MessageRecord;
    indexes: { byConversation: [string, number]; byStatus: string };
  };
  /** App settings, escalation config and router weights, one record each (preferences.ts, router-weights.ts). */
  settings: { key: string; value: unknown };
  /** The savings ledger: one record per answer, oldest first. */
  ledger: { key: number; value: unknown };
  /** Values are AES-GCM ciphertexts; the key is the non-extractable CryptoKey stored under `meta`. */
  secrets: { key: string; value: EncryptedSecret };
  meta: { key: string; value: unknown };
}

type UpgradeTx = IDBPTransaction<PetitDB, StoreNames<PetitDB>[], 'versionchange'>;

/**
 * Migration i upgrades a database at version i to version i + 1. Append, never edit: a user's browser may hold
 * any earlier version, and opening runs every step from there in one versionchange transaction.
 */
export const MIGRATIONS: ReadonlyArray<(db: IDBPDatabase<PetitDB>, tx: UpgradeTx) => void> = [
  (db) => {
    const conversations = db.createObjectStore('conversations', { keyPath: 'id' });
    conversations.createIndex('byUpdatedAt', 'updatedAt');
    const messages = db.createObjectStore('messages', { keyPath: ['conversationId', 'id'] });
    messages.createIndex('byConversation', ['conversationId', 'seq'], { unique: true });
    messages.createIndex('byStatus', 'status');
    db.createObjectStore('settings');
    db.createObjectStore('secrets');
    db.createObjectStore('meta');
  },
  // Settings, escalation config and the savings ledger move here from localStorage (preferences.ts).
  (db) => {
    db.createObjectStore('ledger', { autoIncrement: true });
  },
];

export const DB_VERSION = MIGRATIONS.length;

export interface OpenDatabaseOptions {
  name?: string;
  /** Another tab opened a newer version: this connection has been closed and the page should reload. */
  onStale?: () => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<IDBPDatabase<PetitDB>> {
  const name = options.name ?? DEFAULT_DB_NAME;
  if (typeof indexedDB === 'undefined') {
    throw new PetitError(
      'storage-error',
      'This browser gives Petit no IndexedDB (private mode in some browsers disables it), so conversations cannot be saved. Use a normal window.',
    );
  }
  try {
    return await openDB<PetitDB>(name, DB_VERSION, {
      upgrade(database, oldVersion, _newVersion, tx) {
        for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v](database, tx);
      },
      // Another tab wants to upgrade: step aside instead of blocking it forever.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
        options.onStale?.();
      },
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'VersionError') {
      throw new PetitError(
        'storage-error',
        'Your saved conversations were upgraded by a newer version of Petit open in another tab. Reload this page to use it.',
        { cause: error },
      );
    }
    throw storageError('open the conversation store', error);
  }
}

/** Maps an IndexedDB failure to a PetitError that says what to do next. */
export function storageError(action: string, error: unknown): PetitError {
  if (error instanceof PetitError) return error;
  const name = error instanceof DOMException ? error.name : '';
  const reason = error instanceof Error ? error.message : String(error);
  if (name === 'QuotaExceededError') {
    return new PetitError(
      'storage-quota',
      `Could not ${action}: the browser's storage for this site is full. Delete old conversations or cached models, then try again.`,
      { cause: error },
    );
  }
  if (name === 'InvalidStateError') {
    return new PetitError(
      'storage-error',
      `Could not ${action}: the conversation store was closed (Petit may have been updated in another tab). Reload the page.`,
      { cause: error },
    );
  }
  return new PetitError(
    'storage-error',
    `Could not ${action}: ${reason || 'IndexedDB failed'}. Reload the page and try again.`,
    {
      cause: error,
    },
  );
}

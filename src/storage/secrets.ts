import type { IDBPDatabase } from 'idb';
import { PetitError } from '../engine/errors.ts';
import { storageError, type PetitDB } from './schema.ts';

const KEY_ID = 'secrets-key';

/**
 * API keys for remote providers, in their own object store that no export reads. Values are encrypted with a
 * non-extractable AES-GCM key kept in IndexedDB: page script can still use them, but they never sit in the
 * database as plain text (a copied profile folder or a storage dump does not show them directly).
 */
export class SecretStore {
  readonly #db: IDBPDatabase<PetitDB>;
  #key: Promise<CryptoKey> | undefined;

  constructor(db: IDBPDatabase<PetitDB>) {
    this.#db = db;
  }

  async set(name: string, value: string): Promise<void> {
    if (typeof name !== 'string' || !name)
      throw new PetitError('invalid-request', 'A secret needs a name, such as "openai".');
    if (typeof value !== 'string' || !value) {
      throw new PetitError(
        'invalid-request',
        `The key for "${name}" is empty; paste the whole key, or use forget() to remove it.`,
      );
    }
    try {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv },
        await this.#cryptoKey(),
        new TextEncoder().encode(value),
      );
      await this.#db.put('secrets', { iv, data }, name);
    } catch (error) {
      throw storageError(`save the key for "${name}"`, error);
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const stored = await this.#db.get('secrets', name);
      if (!stored) return undefined;
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: stored.iv },
        await this.#cryptoKey(),
        stored.data,
      );
      return new TextDecoder().decode(plain);
    } catch (error) {
      throw storageError(`read the key for "${name}" (enter it again if this persists)`, error);
    }
  }

  async has(name: string): Promise<boolean> {
    try {
      return (await this.#db.getKey('secrets', name)) !== undefined;
    } catch (error) {
      throw storageError('read saved keys', error);
    }
  }

  /** Names only, never values. */
  async names(): Promise<string[]> {
    try {
      return await this.#db.getAllKeys('secrets');
    } catch (error) {
      throw storageError('read saved keys', error);
    }
  }

  async forget(name: string): Promise<void> {
    try {
      await this.#db.delete('secrets', name);
    } catch (error) {
      throw storageError(`forget the key for "${name}"`, error);
    }
  }

  /** Removes every key and the encryption key itself. */
  async forgetAll(): Promise<void> {
    try {
      const tx = this.#db.transaction(['secrets', 'meta'], 'readwrite');
      await tx.objectStore('secrets').clear();
      await tx.objectStore('meta').delete(KEY_ID);
      await tx.done;
      this.#key = undefined;
    } catch (error) {
      throw storageError('forget saved keys', error);
    }
  }

  #cryptoKey(): Promise<CryptoKey> {
    this.#key ??= (async () => {
      const existing = (await this.#db.get('meta', KEY_ID)) as CryptoKey | undefined;
      if (existing) return existing;
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
      ]);
      // `add` fails if another tab stored its key first; then use that one.
      try {
        await this.#db.add('meta', key, KEY_ID);
        return key;
      } catch {
        return (await this.#db.get('meta', KEY_ID)) as CryptoKey;
      }
    })();
    this.#key.catch(() => (this.#key = undefined));
    return this.#key;
  }
}

import type { IDBPDatabase } from 'idb';
import { PetitError } from '../engine/errors.ts';
import { storageError, type PetitDB } from './schema.ts';

/** Every setting with its default. A stored value of the wrong type reads as the default. */
export const SETTINGS_DEFAULTS = {
  theme: 'system' as 'system' | 'light' | 'dark',
  /** The model to load at start (null: let the app choose from the device's capabilities). */
  modelId: null as string | null,
  systemPrompt: '',
  temperature: 0.7,
  maxTokens: 512,
  sendOnEnter: true,
  /** Remote escalation is off until the user turns it on. */
  remoteEnabled: false,
  remoteProvider: null as string | null,
};

export type Settings = typeof SETTINGS_DEFAULTS;
export type SettingKey = keyof Settings;

function sameShape(value: unknown, fallback: unknown): boolean {
  if (fallback === null) return value === null || typeof value === 'string';
  if (typeof fallback === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === typeof fallback;
}

export class SettingsStore {
  readonly #db: IDBPDatabase<PetitDB>;

  constructor(db: IDBPDatabase<PetitDB>) {
    this.#db = db;
  }

  async get<K extends SettingKey>(key: K): Promise<Settings[K]> {
    try {
      const value = await this.#db.get('settings', key);
      return sameShape(value, SETTINGS_DEFAULTS[key]) ? (value as Settings[K]) : SETTINGS_DEFAULTS[key];
    } catch (error) {
      throw storageError('read settings', error);
    }
  }

  /** Every setting, stored or default. */
  async getAll(): Promise<Settings> {
    try {
      const tx = this.#db.transaction('settings', 'readonly');
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
      const settings: Record<string, unknown> = { ...SETTINGS_DEFAULTS };
      keys.forEach((key, i) => {
        if (key in SETTINGS_DEFAULTS && sameShape(values[i], SETTINGS_DEFAULTS[key as SettingKey]))
          settings[key] = values[i];
      });
      return settings as Settings;
    } catch (error) {
      throw storageError('read settings', error);
    }
  }

  async set<K extends SettingKey>(key: K, value: Settings[K]): Promise<void> {
    if (!(key in SETTINGS_DEFAULTS))
      throw new PetitError('invalid-request', `There is no setting named "${String(key)}".`);
    if (!sameShape(value, SETTINGS_DEFAULTS[key])) {
      throw new PetitError(
        'invalid-request',
        `The setting "${key}" must be a ${typeof SETTINGS_DEFAULTS[key]} (got ${typeof value}).`,
      );
    }
    try {
      await this.#db.put('settings', value, key);
    } catch (error) {
      throw storageError('save settings', error);
    }
  }

  /** Back to the default. */
  async reset(key: SettingKey): Promise<void> {
    try {
      await this.#db.delete('settings', key);
    } catch (error) {
      throw storageError('reset the setting', error);
    }
  }
}

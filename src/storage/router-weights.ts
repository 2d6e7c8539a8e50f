/**
 * This user's router weights (src/escalation/router-user-weights.ts), kept in the settings object store under
 * one key, so they need no schema change and go in the same transaction as an export or import.
 */
import type { IDBPDatabase } from 'idb';
import { checkUserWeights, emptyUserWeights } from '../escalation/router-user-weights.ts';
import type { UserRouterWeights } from '../escalation/router.ts';
import { storageError, type PetitDB } from './schema.ts';

/** The key in the settings store, beside the app settings and the escalation config. */
export const ROUTER_WEIGHTS_KEY = 'router-user-weights';

export class RouterWeightsStore {
  readonly #db: IDBPDatabase<PetitDB>;

  constructor(db: IDBPDatabase<PetitDB>) {
    this.#db = db;
  }

  /** The stored weights; empty when none are stored or what is stored is damaged. */
  async get(): Promise<UserRouterWeights> {
    try {
      const checked = checkUserWeights(await this.#db.get('settings', ROUTER_WEIGHTS_KEY));
      return checked.ok ? checked.value : emptyUserWeights();
    } catch (error) {
      throw storageError('read the router weights learned from you', error);
    }
  }

  async save(weights: UserRouterWeights): Promise<void> {
    try {
      await this.#db.put('settings', weights, ROUTER_WEIGHTS_KEY);
    } catch (error) {
      throw storageError('save the router weights learned from you', error);
    }
  }

  /** Forgets everything learned from this user. */
  async reset(): Promise<void> {
    try {
      await this.#db.delete('settings', ROUTER_WEIGHTS_KEY);
    } catch (error) {
      throw storageError('reset the router weights learned from you', error);
    }
  }
}

import { MODEL_CACHE_NAME } from '../models/store.ts';

/** Caches this service worker owns: its precache and any runtime cache, each versioned in its name. */
const OWNED = /^(?:petit-(?:precache|runtime)-|workbox-precache)/;

/**
 * Caches to delete on activate: ours but not the current version's. Model weights (the model store's
 * `petit-models-*`) and caches other code owns are never touched.
 */
export function staleCaches(names: readonly string[], current: readonly string[]): string[] {
  return names.filter(
    (name) =>
      OWNED.test(name) &&
      !current.includes(name) &&
      name !== MODEL_CACHE_NAME &&
      !name.startsWith('petit-models'),
  );
}

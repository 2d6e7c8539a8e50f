import { describe, expect, it } from 'vitest';
import { MODEL_CACHE_NAME } from '../models/store.ts';
import { staleCaches } from './cache-cleanup.ts';

describe('staleCaches', () => {
  const current = ['petit-precache-v2-http://127.0.0.1:4173/'];

  it('deletes older versions of our own caches and keeps the current one', () => {
    const names = [
      'petit-precache-v1-http://127.0.0.1:4173/',
      'petit-runtime-v1',
      'workbox-precache-v2-http://127.0.0.1:4173/',
      ...current,
    ];
    expect(staleCaches(names, current)).toEqual(names.slice(0, 3));
  });

  it('never deletes the model store, whatever its version, nor caches other code owns', () => {
    const names = [MODEL_CACHE_NAME, 'petit-models-v0', 'petit-models-v2', 'transformers-cache', 'other'];
    expect(staleCaches(names, current)).toEqual([]);
  });
});

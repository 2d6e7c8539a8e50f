import { describe, expect, it } from 'vitest';
import { finishUpdate } from './model-update.ts';
import { pins } from './pins.ts';
import { openDownloadsDb } from './store-db.ts';
import { ModelStore, modelPrefix } from './store.ts';

/** The pin records in the real IndexedDB: the schema step that adds them, and what keeps or drops them. */

function openV1(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore('partials', { keyPath: 'url' });
      db.createObjectStore('chunks', { keyPath: ['url', 'index'] });
      db.createObjectStore('models', { keyPath: 'prefix' });
    };
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(['partials', 'models'], 'readwrite');
      tx.objectStore('partials').put({ url: 'https://hub.test/o/m/resolve/main/a', received: 7 });
      tx.objectStore('models').put({ prefix: 'https://hub.test/o/m/resolve/main/', dtypes: ['q8'] });
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  });
}

describe('model pins in IndexedDB', () => {
  it('a database from before pinning gains the pins store and keeps its journal and index', async () => {
    const name = `petit-downloads-migration-${crypto.randomUUID()}`;
    await openV1(name);
    const db = await openDownloadsDb(name);
    expect(db.version).toBe(2);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'models', 'partials', 'pins']);
    expect(await db.get('partials', 'https://hub.test/o/m/resolve/main/a')).toMatchObject({ received: 7 });
    expect(await db.get('models', 'https://hub.test/o/m/resolve/main/')).toMatchObject({ dtypes: ['q8'] });
    expect(await db.count('pins')).toBe(0);
    db.close();
    indexedDB.deleteDatabase(name);
  });

  it('the first pin wins, a recorded file keeps its first hash, and deleting the model forgets the pin', async () => {
    const prefix = modelPrefix(`https://pins-${crypto.randomUUID()}.test`, 'org/model', 'main');
    await pins.pin(prefix, 'a'.repeat(40));
    expect((await pins.pin(prefix, 'b'.repeat(40))).commit).toBe('a'.repeat(40));
    await pins.recordFile(prefix, 'config.json', { sha256: '1'.repeat(64), size: 10 });
    await pins.recordFile(prefix, 'config.json', { sha256: '2'.repeat(64), size: 11 });
    expect((await pins.get(prefix))?.files).toEqual({ 'config.json': { sha256: '1'.repeat(64), size: 10 } });

    const store = new ModelStore();
    // A model the runtime could not read is downloaded again from the same commit: its pin stays.
    await store.deleteModel(prefix, { keepPin: true });
    expect((await pins.get(prefix))?.commit).toBe('a'.repeat(40));
    // The user's delete forgets it: the next download pins whatever the hub serves then.
    await store.deleteModel(prefix);
    expect(await pins.get(prefix)).toBeUndefined();
  });

  it('an accepted update cut short before its swap is finished by the next load: new files in, old derived out', async () => {
    const store = new ModelStore();
    const hub = `https://update-${crypto.randomUUID()}.test`;
    const prefix = modelPrefix(hub, 'org/model', 'main');
    const staged = modelPrefix(hub, 'org/model', 'b'.repeat(40));
    await store.putFile(`${prefix}onnx/model.onnx`, new Blob(['old weights']));
    await store.putDerived(`${prefix}onnx/model.onnx`, 'petit-rewrite=q8-v1', Uint8Array.of(9));
    await store.putFile(`${staged}onnx/model.onnx`, new Blob(['new weights']));
    await store.putFile(`${prefix}generation_config.json`, new Blob(['{}']));
    const files = { 'onnx/model.onnx': { sha256: '3'.repeat(64), size: 11 } };
    await pins.put({
      prefix,
      commit: 'a'.repeat(40),
      files: {},
      pinnedAt: 1,
      pending: {
        commit: 'b'.repeat(40),
        files,
        replace: {
          [`${prefix}onnx/model.onnx`]: `${staged}onnx/model.onnx`,
          // Swapped in before the cut: nothing waits under its staged URL any more.
          [`${prefix}tokenizer.json`]: `${staged}tokenizer.json`,
        },
        remove: [`${prefix}generation_config.json`],
      },
    });

    expect((await finishUpdate(store, prefix))?.commit).toBe('b'.repeat(40));
    expect(await (await store.match(`${prefix}onnx/model.onnx`))!.text()).toBe('new weights');
    expect(await store.has(`${staged}onnx/model.onnx`)).toBe(false);
    expect(await store.matchDerived(`${prefix}onnx/model.onnx`, 'petit-rewrite=q8-v1')).toBeUndefined();
    expect(await store.has(`${prefix}generation_config.json`)).toBe(false);
    expect(await pins.get(prefix)).toEqual({
      prefix,
      commit: 'b'.repeat(40),
      files,
      pinnedAt: expect.any(Number),
    });
    // Nothing pending: a no-op.
    expect((await finishUpdate(store, prefix))?.commit).toBe('b'.repeat(40));
    await store.deleteModel(prefix);
  });
});

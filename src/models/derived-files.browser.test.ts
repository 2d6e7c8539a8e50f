import { describe, expect, it } from 'vitest';
import { ModelStore, modelPrefix } from './store.ts';

/** Derived files (the q8 rewrite of a q4 model file) in the real Cache Storage, beside the model's own files. */

const KIND = 'petit-rewrite=q8-v1';

describe('derived files in the model store', () => {
  it('are read back by kind, never stand in for the original, and leave with their model', async () => {
    const store = new ModelStore();
    const prefix = modelPrefix(`https://derived-${crypto.randomUUID()}.test`, 'org/model', 'main');
    const url = `${prefix}onnx/model_q4.onnx`;
    expect(await store.matchDerived(url, KIND)).toBeUndefined();

    await store.putDerived(url, KIND, Uint8Array.of(1, 2, 3));
    const back = await store.matchDerived(url, KIND);
    expect(new Uint8Array(await back!.arrayBuffer())).toEqual(Uint8Array.of(1, 2, 3));
    expect(back!.headers.get('content-length')).toBe('3');
    // Another version of the derivation is another file; the original is not replaced by the derived one.
    expect(await store.matchDerived(url, 'petit-rewrite=q8-v2')).toBeUndefined();
    expect(await store.match(url)).toBeUndefined();

    expect(await store.deleteModel(prefix)).toBe(1);
    expect(await store.matchDerived(url, KIND)).toBeUndefined();
  });
});

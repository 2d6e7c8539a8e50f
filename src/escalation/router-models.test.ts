import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG } from '../models/catalog.ts';
import { route } from './router.ts';
import { answerReserve, catalogEntryFor, downloadedModels, localModelFromCatalog } from './router-models.ts';

const byId = (id: string) => BUILTIN_CATALOG.find((e) => e.id === id)!;
const stored =
  (...ids: string[]) =>
  (e: { id: string }) =>
    ids.includes(e.id);

describe('the catalog fed to the router', () => {
  it('gives each model its real size, context, languages and strengths', () => {
    const smol = localModelFromCatalog(byId('smollm2-135m-instruct'));
    expect(smol).toMatchObject({ parameters: 134.5e6, contextLength: 8192, languages: ['en'] });
    expect(smol.goodFor).not.toContain('multilingual');
    const qwen = localModelFromCatalog(byId('qwen2.5-1.5b-instruct'));
    expect(qwen.parameters).toBe(1.544e9);
    expect(qwen.languages).toEqual(expect.arrayContaining(['fr', 'es', 'de']));
    expect(qwen.goodFor).toEqual(expect.arrayContaining(['multilingual', 'code', 'maths', 'reasoning']));
  });

  it('finds the loaded model by the repository the engine reports, with the context it runs with', () => {
    const entry = byId('smollm2-360m-instruct');
    expect(catalogEntryFor(BUILTIN_CATALOG, entry.repo)?.id).toBe(entry.id);
    const models = downloadedModels(BUILTIN_CATALOG, stored(), { modelId: entry.repo, contextLength: 2048 });
    expect(models).toEqual([
      expect.objectContaining({ id: entry.id, contextLength: 2048, parameters: 361.8e6 }),
    ]);
    // A model outside the catalog is still a model, with nothing known about it.
    expect(downloadedModels(BUILTIN_CATALOG, stored(), { modelId: 'me/custom', contextLength: 512 })).toEqual(
      [{ id: 'me/custom', parameters: 0, contextLength: 512, goodFor: [] }],
    );
  });

  it('lets "a larger local model would do" fire, and prefers a multilingual model for French', () => {
    const loaded = { modelId: byId('smollm2-135m-instruct').repo, contextLength: 8192 };
    const models = downloadedModels(BUILTIN_CATALOG, stored('qwen2.5-1.5b-instruct'), loaded);
    const code = route({
      messages: [{ role: 'user', content: 'Write a Python function that reverses a linked list.' }],
      localModels: models,
    });
    expect(code.localModelId).toBe('qwen2.5-1.5b-instruct');
    expect(code.reasons.map((r) => r.rule)).toContain('capable-local-model');
    const fr = route({
      messages: [{ role: 'user', content: 'Peux-tu me donner une idée de dessert ?' }],
      localModels: models,
    });
    expect(fr.localModelId).toBe('qwen2.5-1.5b-instruct');
    const en = route({
      messages: [{ role: 'user', content: 'Can you give me a dessert idea?' }],
      localModels: models,
    });
    expect(en.localModelId).toBe('smollm2-135m-instruct');
  });

  it('keeps the answer room the app keeps, so a short chat on a small context is not called too long', () => {
    expect(answerReserve(512, 512)).toBe(128);
    const d = route({
      messages: [{ role: 'user', content: 'hello '.repeat(60) }],
      localModels: [{ id: 'tiny', parameters: 1e6, contextLength: 512, goodFor: [] }],
      answerReserveTokens: answerReserve(512, 512),
    });
    expect(d.reasons.map((r) => r.rule)).not.toContain('context-overflow');
  });
});

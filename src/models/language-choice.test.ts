import { describe, expect, it } from 'vitest';
import type { Capabilities } from './capabilities.ts';
import { BUILTIN_CATALOG, minimalEntry, parseExtraModels, type CatalogEntry } from './catalog.ts';
import { chooseRuntime, largestThatFits } from './chooser.ts';
import { handlesLanguage, preferForLanguage } from './language-choice.ts';

const entry = (id: string): CatalogEntry => {
  const found = BUILTIN_CATALOG.find((e) => e.id === id);
  if (!found) throw new Error(`no catalog entry ${id}`);
  return found;
};

const laptop: Capabilities = {
  webgpu: null,
  deviceMemoryGB: 8,
  cores: 8,
  crossOriginIsolated: true,
  storage: { quota: 100e9, usage: 1e9, persisted: false },
};

describe('languages per model', () => {
  it('says what the makers say: SmolLM2 is English, Qwen2.5 and Llama 3.2 list French', () => {
    expect(handlesLanguage(entry('smollm2-135m-instruct'), 'fr')).toBe(false);
    expect(handlesLanguage(entry('smollm2-135m-instruct'), 'en-GB')).toBe(true);
    expect(handlesLanguage(entry('qwen2.5-0.5b-instruct'), 'fr')).toBe(true);
    expect(handlesLanguage(entry('llama-3.2-1b-instruct'), 'fr-CA')).toBe(true);
    expect(entry('qwen2.5-0.5b-instruct').moreLanguages).toBe(true);
    // A model added by its repository only: nobody said, so no claim either way.
    expect(handlesLanguage(minimalEntry({ id: 'x', repo: 'a/x', dtypes: ['q8'] }, 'extra'), 'fr')).toBeNull();
  });
});

describe('the choice for a French conversation', () => {
  it('offers Qwen2.5 instead of SmolLM2, the French-listed model closest in size', () => {
    const small = preferForLanguage(BUILTIN_CATALOG, entry('smollm2-135m-instruct'), 'fr', laptop);
    expect(small?.entry.id).toBe('qwen2.5-0.5b-instruct');
    expect(small?.instead.id).toBe('smollm2-135m-instruct');
    expect(small?.choice.ok).toBe(true);
    const large = preferForLanguage(BUILTIN_CATALOG, entry('smollm2-1.7b-instruct'), 'fr', laptop);
    expect(large?.entry.id).toBe('qwen2.5-1.5b-instruct');
  });

  it('keeps the model when it handles the language, when the language is English, or when nobody said', () => {
    expect(preferForLanguage(BUILTIN_CATALOG, entry('qwen2.5-0.5b-instruct'), 'fr', laptop)).toBeNull();
    expect(preferForLanguage(BUILTIN_CATALOG, entry('smollm2-135m-instruct'), 'en', laptop)).toBeNull();
    const unknown = minimalEntry({ id: 'x', repo: 'a/x', dtypes: ['q8'] }, 'extra');
    expect(preferForLanguage(BUILTIN_CATALOG, unknown, 'fr', laptop)).toBeNull();
  });

  it('offers nothing when no French-listed model runs here', () => {
    const phone: Capabilities = { ...laptop, deviceMemoryGB: 1 };
    const smol = entry('smollm2-135m-instruct');
    expect(chooseRuntime(entry('qwen2.5-0.5b-instruct'), phone).ok).toBe(false);
    expect(preferForLanguage(BUILTIN_CATALOG, smol, 'fr', phone)).toBeNull();
  });

  it('suggests, when a model is too large, one that handles French before a larger one that does not', () => {
    const list = [entry('smollm2-1.7b-instruct'), entry('qwen2.5-0.5b-instruct')];
    expect(largestThatFits(list, laptop)?.entry.id).toBe('smollm2-1.7b-instruct');
    expect(largestThatFits(list, laptop, {}, 'fr')?.entry.id).toBe('qwen2.5-0.5b-instruct');
  });
});

describe('a deployment’s extra models', () => {
  it('keep the languages they list, and ignore a value that is not a list of language codes', () => {
    const [listed, wrong] = parseExtraModels(
      JSON.stringify([
        { id: 'fr-model', repo: 'a/fr', dtypes: ['q8'], languages: ['fr'] },
        { id: 'odd-model', repo: 'a/odd', dtypes: ['q8'], languages: 'fr' },
      ]),
    );
    expect(handlesLanguage(listed, 'fr')).toBe(true);
    expect(wrong.languages).toEqual([]);
  });
});

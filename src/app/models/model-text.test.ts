/**
 * The app words the chooser's codes and the catalog's notes itself: in English it says what the library says, in
 * French the same facts in French.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initI18n, setLanguage } from '../../i18n/index.ts';
import en from '../../i18n/locales/en/models.json';
import type { Capabilities } from '../../models/capabilities.ts';
import { BUILTIN_CATALOG, type CatalogEntry } from '../../models/catalog.ts';
import { chooseRuntime } from '../../models/chooser.ts';
import { choiceText, entryText, languageList, licenseRestrictions, paramsText } from './model-text.ts';

const GIB = 2 ** 30;
const base: Capabilities = {
  webgpu: null,
  deviceMemoryGB: 8,
  cores: 8,
  crossOriginIsolated: true,
  storage: { quota: 100e9, usage: 1e9, persisted: false },
};
const DEVICES: Capabilities[] = [
  base,
  { ...base, crossOriginIsolated: false },
  { ...base, deviceMemoryGB: 1 },
  { ...base, deviceMemoryGB: 2 },
  { ...base, storage: { quota: 2e9, usage: 1.7e9, persisted: false } },
  {
    ...base,
    webgpu: {
      adapter: 'google swiftshader',
      isFallback: true,
      shaderF16: false,
      maxBufferSize: GIB,
      maxStorageBufferBindingSize: GIB,
    },
    storage: { quota: 3e9, usage: 1.8e9, persisted: false },
  },
];

const entry = (id: string): CatalogEntry => BUILTIN_CATALOG.find((e) => e.id === id)!;
/** The library's formatSize and Intl differ only in spacing and in a trailing ".0" ("1.0 GB", "1 GB"). */
const plain = (s: string) =>
  s
    .replace(/\s/g, ' ')
    .replace(/(\d)\.0 /g, '$1 ')
    .replace(/`main`/g, '<code>main</code>');

beforeAll(async () => {
  await initI18n('en', { pseudo: false });
});
afterAll(async () => {
  await setLanguage('en');
});

describe('in English', () => {
  it('the catalog file holds the catalog’s own notes, word for word', () => {
    const entries = en.entries as Record<string, Record<string, string>>;
    for (const e of BUILTIN_CATALOG) {
      expect(entryText(e, 'goodFor'), e.id).toBe(e.goodFor);
      expect(entryText(e, 'trainingData'), e.id).toBe(e.trainingDataNote);
      expect(entryText(e, 'noBrowserBuild'), e.id).toBe(e.noBrowserBuild ?? '');
      expect(licenseRestrictions(e), e.id).toBe(e.license.restrictions);
      expect(entries[e.id.replace(/\./g, '_')], e.id).toBeDefined();
    }
  });

  it('words every choice, reason and note as the library does', async () => {
    await setLanguage('en');
    let compared = 0;
    for (const e of BUILTIN_CATALOG) {
      for (const caps of DEVICES) {
        const choice = chooseRuntime(e, caps);
        expect(plain(choiceText(choice.message, e)), e.id).toBe(plain(choice.reason));
        if (choice.ok)
          expect(choice.noteMessages.map((m) => plain(choiceText(m, e)))).toEqual(choice.notes.map(plain));
        compared++;
      }
    }
    expect(compared).toBe(BUILTIN_CATALOG.length * DEVICES.length);
  });
});

describe('in French', () => {
  beforeAll(async () => {
    await setLanguage('fr');
  });

  it('says what runs and why in French, with French figures', () => {
    const smol = entry('smollm2-135m-instruct');
    const ok = chooseRuntime(smol, base);
    expect(plain(choiceText(ok.message, smol))).toBe(
      '8 bits sur WASM (pas d’adaptateur WebGPU), 4 fils d’exécution : le 8 bits est le format le plus rapide sur un processeur.',
    );
    const phone = chooseRuntime(smol, { ...base, deviceMemoryGB: 1 });
    expect(plain(choiceText(phone.message, smol))).toMatch(
      /^Demande environ 5\d\d Mo de mémoire au pic, plus que cet onglet ne peut espérer \(environ 500 Mo : cet appareil indique 1 Go de mémoire/,
    );
    expect(choiceText(phone.message, smol)).toMatch(/\(8 bits sur WASM, la plus petite option\)\.$/);
  });

  it('translates the catalog’s notes and writes counts and languages the French way', () => {
    const qwen = entry('qwen2.5-1.5b-instruct');
    expect(entryText(qwen, 'goodFor')).toBe(
      'Conversation multilingue, résumés et code sur un ordinateur portable.',
    );
    expect(plain(paramsText(entry('smollm2-1.7b-instruct')))).toBe('1,7 Md');
    expect(languageList(entry('llama-3.2-1b-instruct').languages)).toMatch(
      /^anglais, allemand, français, .* et thaï$/,
    );
  });
});

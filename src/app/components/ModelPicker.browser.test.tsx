/// <reference types="vite/client" />
/**
 * The picker and the conversation's language, in a real browser (its capabilities, its IndexedDB): a French
 * conversation gets a model whose makers list French, and the picker says why.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { initI18n, setLanguage } from '../../i18n/index.ts';
import { BUILTIN_CATALOG } from '../../models/catalog.ts';
import { ModelPicker } from './ModelPicker.tsx';

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  loaded = [];
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  root.unmount();
  container.remove();
});

afterAll(() => setLanguage('en'));

let loaded: string[] = [];

function render(selectedId: string | null, conversationLanguage: string | null): void {
  flushSync(() =>
    root.render(
      <ModelPicker
        catalog={BUILTIN_CATALOG}
        selectedId={selectedId}
        busy={false}
        onLoad={(entry) => loaded.push(entry.id)}
        hubUrl="https://huggingface.co"
        conversationLanguage={conversationLanguage}
      />,
    ),
  );
}

const select = () => container.querySelector<HTMLSelectElement>('[data-testid=model-select]')!;
const byTestId = (id: string) => container.querySelector<HTMLElement>(`[data-testid=${id}]`);
/** Once the device's capabilities are known, the choice line says what runs. */
const probed = () => vi.waitFor(() => expect(byTestId('model-choice')).not.toBeNull(), { timeout: 10_000 });
const text = (el: HTMLElement | null) => el?.textContent?.replace(/\s/g, ' ');

describe('a French conversation', () => {
  test('with nothing chosen yet, the picker takes Qwen2.5 over SmolLM2 and says why, in French', async () => {
    await initI18n('fr', { pseudo: false });
    await setLanguage('fr');
    render(null, 'fr');
    await probed();
    await vi.waitFor(() => expect(select().value).toBe('qwen2.5-0.5b-instruct'));
    expect(text(byTestId('chosen-for-language'))).toBe(
      'Choisi pour cette conversation en français : Qwen2.5 0.5B Instruct gère cette langue ; langues de SmolLM2 135M Instruct : anglais.',
    );
    expect(text(byTestId('picker-languages'))).toMatch(/^Langues : chinois, anglais, français, /);
    expect(byTestId('load-model')?.textContent).toBe('Charger');
    // Loaded, it is the chosen model: the app saves it and the picker keeps it, with no suggestion.
    await userEvent.click(byTestId('load-model')!);
    expect(loaded).toEqual(['qwen2.5-0.5b-instruct']);
    render('qwen2.5-0.5b-instruct', 'fr');
    expect(select().value).toBe('qwen2.5-0.5b-instruct');
    expect(byTestId('suggest-for-language')).toBeNull();
  });

  test('with a model chosen before, it suggests the French one and switches only when asked', async () => {
    await initI18n('en', { pseudo: false });
    await setLanguage('en');
    render('smollm2-135m-instruct', 'fr');
    await probed();
    const suggestion = await vi.waitFor(() => {
      const el = byTestId('suggest-for-language');
      expect(el).not.toBeNull();
      return el!;
    });
    expect(select().value).toBe('smollm2-135m-instruct');
    expect(text(suggestion)).toBe(
      'This conversation is in French, which SmolLM2 135M Instruct is not made for. Qwen2.5 0.5B Instruct handles it. Use Qwen2.5 0.5B Instruct',
    );
    await userEvent.click(byTestId('use-for-language')!);
    await vi.waitFor(() => expect(select().value).toBe('qwen2.5-0.5b-instruct'));
    expect(byTestId('suggest-for-language')).toBeNull();
  });

  test('an English conversation keeps the first model, with no word about languages', async () => {
    await initI18n('en', { pseudo: false });
    await setLanguage('en');
    render(null, 'en');
    await probed();
    expect(select().value).toBe('smollm2-135m-instruct');
    expect(byTestId('chosen-for-language')).toBeNull();
    expect(byTestId('suggest-for-language')).toBeNull();
    expect(text(byTestId('picker-languages'))).toBe('Languages: English');
  });
});

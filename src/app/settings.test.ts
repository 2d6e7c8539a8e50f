import { describe, expect, it } from 'vitest';
import { initI18n, setLanguage } from '../i18n/index.ts';
import { checkHubUrl, runtimeLabel } from './settings.ts';

describe('Settings words its runtime choices and hub-address problems when shown', () => {
  it('in the language of the moment, so switching language needs no reload', async () => {
    await initI18n('en', { pseudo: false });
    expect(checkHubUrl('ftp://mirror.example.org')).toBe(
      'The hub address must start with https:// or http://.',
    );
    expect(runtimeLabel('auto')).toBe('Automatic (fastest that works here)');

    await setLanguage('fr');
    expect(checkHubUrl('huggingface')).toBe(
      'Ce n’est pas une adresse web. Exemple\u00a0: https://huggingface.co',
    );
    expect(runtimeLabel('wasm')).toBe('transformers.js sur WASM (processeur)');
    expect(checkHubUrl('https://huggingface.co')).toBeNull();
    await setLanguage('en');
  });
});

/**
 * The catalogs are complete and well formed: French has every English message (and no stray ones), every message
 * is valid ICU MessageFormat with the same arguments in both languages, and a French message equal to its English
 * one is only allowed where the key is listed in locales/same/<namespace>.json (names such as "WebGPU").
 */
import { describe, expect, it } from 'vitest';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { en, fr, NAMESPACES, type Namespace } from './resources.ts';
import { detectLanguage, initI18n, resolveLanguage, t } from './index.ts';
import { formatBytes, formatDuration, formatMoney, formatPercent } from './format.ts';

/** Intl separates a number from its unit with a no-break space. */
const plain = (s: string) => s.replace(/\s/g, ' ');

const same = import.meta.glob<string[]>('./locales/same/*.json', { eager: true, import: 'default' });

function flatten(tree: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (
      el.type === TYPE.argument ||
      el.type === TYPE.number ||
      el.type === TYPE.date ||
      el.type === TYPE.time
    )
      into.add(el.value);
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      into.add(el.value);
      for (const option of Object.values(el.options)) argumentsOf(option.value, into);
    }
    if (el.type === TYPE.tag) argumentsOf(el.children, into);
  }
  return into;
}

describe.each(NAMESPACES)('the %s catalog', (ns: Namespace) => {
  const english = flatten(en[ns]);
  const french = flatten(fr[ns]);
  const allowedSame = new Set(same[`./locales/same/${ns}.json`] ?? []);

  it('has the same keys in French and English', () => {
    expect(
      [...french.keys()].filter((k) => !english.has(k)),
      'in French only',
    ).toEqual([]);
    expect(
      [...english.keys()].filter((k) => !french.has(k)),
      'missing in French',
    ).toEqual([]);
  });

  it('has valid ICU messages taking the same arguments in both languages', () => {
    for (const [key, message] of english) {
      const enArgs = argumentsOf(parse(message, { ignoreTag: false }));
      const frMessage = french.get(key);
      if (frMessage === undefined) continue;
      expect(() => parse(frMessage), `fr ${ns}:${key}`).not.toThrow();
      expect([...argumentsOf(parse(frMessage))].sort(), `arguments of ${ns}:${key}`).toEqual(
        [...enArgs].sort(),
      );
    }
  });

  it('translates every message (identical ones are listed in locales/same)', () => {
    const untranslated = [...english].filter(([k, v]) => french.get(k) === v && !allowedSame.has(k));
    expect(untranslated.map(([k]) => k)).toEqual([]);
    expect(
      [...allowedSame].filter((k) => !english.has(k)),
      'listed in locales/same but not a key',
    ).toEqual([]);
  });
});

describe('language choice', () => {
  it("follows the browser's first language Petit speaks", () => {
    expect(detectLanguage(['fr-CA', 'en'])).toBe('fr');
    expect(detectLanguage(['de-DE', 'fr'])).toBe('fr');
    expect(detectLanguage(['de-DE', 'es'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
    expect(resolveLanguage('en', ['fr-FR'])).toBe('en');
    expect(resolveLanguage('auto', ['fr-FR'])).toBe('fr');
  });

  it('formats figures in the current language', async () => {
    await initI18n('fr', { pseudo: false });
    expect(formatBytes(164e6)).toMatch(/^164\sMo$/);
    expect(formatBytes(1.23e9)).toMatch(/^1,2\sGo$/);
    expect(formatPercent(0.65)).toMatch(/^65\s%$/);
    expect(plain(formatMoney(0.00012))).toBe('0,00012 $US');
    expect(plain(formatDuration(125))).toBe('2 min 5 s');
    await initI18n('en');
    expect(formatBytes(164e6)).toBe('164 MB');
    expect(formatBytes(1.23e9)).toBe('1.2 GB');
    expect(formatPercent(0.65)).toBe('65%');
    expect(formatMoney(0.00012)).toBe('$0.00012');
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(1.5)).toBe('$1.50');
    expect(plain(formatDuration(4.25))).toBe('4.3 s');
    expect(plain(formatDuration(125))).toBe('2 min 5 s');
    // i18next is started: a missing key comes back as the key, which the catalog test above rules out.
    expect(t('common:__missing__' as never)).toBe('__missing__');
  });
});

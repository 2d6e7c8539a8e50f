/**
 * Petit's languages: English and French, chosen from the browser's languages unless the user picked one in
 * Settings. Messages are ICU MessageFormat (plurals, selects, numbers) through i18next-icu; catalogs are in
 * ./locales, one JSON file per namespace (./resources.ts). Numbers, sizes, dates, money and durations go through
 * Intl with the current language (./format.ts).
 *
 * `?i18n=pseudo` in the page's address wraps every catalog message in ⟦ ⟧: the e2e suite uses it to find text
 * that was rendered without going through a catalog (e2e/i18n.spec.ts).
 */
import i18next, { type i18n as I18n } from 'i18next';
import ICU from 'i18next-icu';
import { initReactI18next } from 'react-i18next';
import { en, fr, NAMESPACES } from './resources.ts';

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
/** 'auto' follows the browser's languages. */
export type LanguageChoice = Language | 'auto';

/** Each language's name in itself, as a language menu shows it. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', fr: 'Français' };

export const PSEUDO_OPEN = '⟦';
export const PSEUDO_CLOSE = '⟧';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The first of the browser's languages that Petit speaks ('fr-CA' → 'fr'), English otherwise. */
export function detectLanguage(
  preferred: readonly string[] = globalThis.navigator?.languages ?? [],
): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export function resolveLanguage(choice: LanguageChoice | undefined, preferred?: readonly string[]): Language {
  return isLanguage(choice) ? choice : detectLanguage(preferred);
}

function pseudoRequested(): boolean {
  try {
    return new URLSearchParams(globalThis.location?.search ?? '').get('i18n') === 'pseudo';
  } catch {
    return false;
  }
}

/**
 * Starts i18next once with both catalogs (they are small, and bundled so that the app works offline in either
 * language). Later calls only switch the language.
 */
export async function initI18n(language: Language, options: { pseudo?: boolean } = {}): Promise<I18n> {
  if (i18next.isInitialized) {
    await setLanguage(language);
    return i18next;
  }
  const pseudo = options.pseudo ?? pseudoRequested();
  if (pseudo) {
    i18next.use({
      type: 'postProcessor',
      name: 'pseudo',
      process: (value: string) => `${PSEUDO_OPEN}${value}${PSEUDO_CLOSE}`,
    });
  }
  await i18next
    .use(ICU)
    .use(initReactI18next)
    .init({
      lng: language,
      fallbackLng: 'en',
      supportedLngs: [...LANGUAGES],
      ns: NAMESPACES,
      defaultNS: 'common',
      resources: { en, fr },
      // React escapes what it renders; the catalogs hold plain text.
      interpolation: { escapeValue: false },
      returnNull: false,
      postProcess: pseudo ? ['pseudo'] : false,
      react: { useSuspense: false },
    });
  applyDocumentLanguage(language);
  return i18next;
}

export async function setLanguage(language: Language): Promise<void> {
  if (i18next.language !== language) await i18next.changeLanguage(language);
  applyDocumentLanguage(language);
}

/** The language messages are rendered in now (English before i18n starts, as in unit tests of plain modules). */
export function currentLanguage(): Language {
  return isLanguage(i18next.language) ? i18next.language : 'en';
}

function applyDocumentLanguage(language: Language): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}

/** Translates outside React (plain modules, error formatting); components use `useTranslation`. */
export const t = i18next.t.bind(i18next) as typeof i18next.t;

export { i18next };

/**
 * The escalation catalog's messages as text: the router's reasons (a rule, sometimes a more precise message key,
 * and raw parameters) and the notes of src/chat are worded here, when they are shown, in the language of the
 * moment. Figures are formatted through src/i18n/format.ts before they enter the message.
 *
 * Before the app starts i18n (unit tests, tools), messages come from the English catalog through an instance of
 * their own, which is also what `RouterReason.explanation` (English, for logs and tests) is made with.
 */
import i18next from 'i18next';
import ICU from 'i18next-icu';
import enEscalation from '../i18n/locales/en/escalation.json';
import { currentLanguage, i18next as app, type Language } from '../i18n/index.ts';
import { formatNumber, formatPercent } from '../i18n/format.ts';
import type { RouterReason, RouterRuleId } from './router.ts';

/** A message's arguments before formatting: numbers stay numbers until the language is known. */
export type MessageParams = Readonly<Record<string, string | number>>;

/** A message of the escalation catalog, worded when shown. */
export interface EscalationMessage {
  /** Key in the escalation catalog, e.g. 'notes.cancelled'. */
  key: string;
  params?: MessageParams;
}

const english = i18next.createInstance();
void english.use(ICU).init({
  lng: 'en',
  ns: ['escalation'],
  defaultNS: 'escalation',
  resources: { en: { escalation: enEscalation } },
  initAsync: false,
  interpolation: { escapeValue: false },
});
// Keys are built at run time (a rule's id), so this instance is called untyped.
const englishT = english.t.bind(english) as unknown as (key: string, params: object) => string;

/** Model sizes as "1.5B" / "1,5 Md", as model cards write them. */
function formatParameters(n: number, language: Language): string {
  return formatNumber(n, { notation: 'compact', maximumFractionDigits: n >= 1e9 ? 1 : 0 }, language);
}

// How each numeric argument is written; any other number is a plain count, and `count` stays a number for plurals.
const FORMATS: Record<string, (n: number, language: Language) => string | number> = {
  probability: (n, l) => formatPercent(n, 0, l),
  percent: (n, l) => formatPercent(n, 0, l),
  entropy: (n, l) => formatNumber(n, { maximumFractionDigits: 1, minimumFractionDigits: 1 }, l),
  parameters: formatParameters,
  // A learned weight, signed: "+0.42", "-0.17".
  weight: (n, l) =>
    formatNumber(n, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }, l),
  count: (n) => n,
};

function translate(key: string, params: Record<string, unknown>, language: Language): string {
  if (app.isInitialized) return app.t(`escalation:${key}` as never, { ...params, lng: language }) as string;
  return englishT(key, params);
}

function formatted(params: MessageParams | undefined, language: Language): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params ?? {}))
    out[name] = typeof value === 'number' ? (FORMATS[name] ?? formatPlain)(value, language) : value;
  // A model is named with its size when the size is known.
  if (typeof params?.model === 'string' && typeof params.parameters === 'number' && params.parameters > 0)
    out.model = translate('reasons.modelWithSize', { ...out, model: params.model }, language);
  return out;
}

// Four-digit counts stay whole ("4096 tokens"), as token budgets are usually written; longer ones are grouped.
const formatPlain = (n: number, language: Language) => formatNumber(n, { useGrouping: 'min2' }, language);

/** One escalation message in the current language (or `language`). */
export function escalationText(message: EscalationMessage, language = currentLanguage()): string {
  return translate(message.key, formatted(message.params, language), language);
}

/** The catalog key of a router reason: its rule's, or the more precise message it names. */
export function reasonKey(reason: { rule: string; message?: string }): string {
  return `reasons.${reason.message ?? reason.rule}`;
}

/** A router reason in the current language (or `language`), for the UI. */
export function reasonText(
  reason: { rule: string; message?: string; params?: MessageParams },
  language = currentLanguage(),
): string {
  return escalationText({ key: reasonKey(reason), params: reason.params }, language);
}

/** A router reason in English from the catalog, whatever language the app is in (logs, tests, tools). */
export function englishReason(reason: { rule: string; message?: string; params?: MessageParams }): string {
  return englishT(reasonKey(reason), formatted(reason.params, 'en'));
}

/** A reason with its English sentence from the catalog. */
export function reason(
  rule: RouterRuleId,
  weight: number,
  message?: string,
  params?: MessageParams,
): RouterReason {
  const r: RouterReason = { rule, weight, explanation: '' };
  if (message) r.message = message;
  if (params) r.params = params;
  r.explanation = englishReason(r);
  return r;
}

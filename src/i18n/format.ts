/**
 * Numbers, sizes, durations, money, dates and percentages in the current language, through Intl: "164 MB" and
 * "1.2 s" in English, "164 Mo" and "1,2 s" in French. Use these for every figure the app shows; a figure inside a
 * sentence goes into the catalog message as an argument, already formatted.
 */
import { currentLanguage, type Language } from './index.ts';

const cache = new Map<string, Intl.NumberFormat>();
function numberFormat(language: Language, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${language}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) cache.set(key, (format = new Intl.NumberFormat(language, options)));
  return format;
}

export function formatNumber(
  value: number,
  options: Intl.NumberFormatOptions = {},
  language = currentLanguage(),
) {
  return numberFormat(language, options).format(value);
}

const BYTE_UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Decimal units, as disks and the hub count them: 164 MB, 1.2 GB (164 Mo, 1,2 Go). */
export function formatBytes(bytes: number, language = currentLanguage()): string {
  if (!Number.isFinite(bytes) || bytes < 1000) {
    const whole = Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : 0;
    return numberFormat(language, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(whole);
  }
  const i = Math.min(BYTE_UNITS.length, Math.floor(Math.log(bytes) / Math.log(1000)));
  const value = bytes / 1000 ** i;
  return numberFormat(language, {
    style: 'unit',
    unit: BYTE_UNITS[i - 1],
    maximumFractionDigits: value >= 100 ? 0 : 1,
  }).format(value);
}

export function formatRate(bytesPerSecond: number, language = currentLanguage()): string {
  if (!(bytesPerSecond > 0)) return '';
  const i = Math.max(1, Math.min(BYTE_UNITS.length, Math.floor(Math.log(bytesPerSecond) / Math.log(1000))));
  const value = bytesPerSecond / 1000 ** i;
  return numberFormat(language, {
    style: 'unit',
    unit: `${BYTE_UNITS[i - 1]}-per-second`,
    maximumFractionDigits: value >= 100 ? 0 : 1,
  }).format(value);
}

/** A time left or taken: "45 s", "2 min 5 s"; under 10 s with one decimal ("1.2 s"). Empty for no value. */
export function formatDuration(seconds: number, language = currentLanguage()): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const unit = (u: 'second' | 'minute', v: number, digits = 0) =>
    numberFormat(language, {
      style: 'unit',
      unit: u,
      unitDisplay: u === 'minute' ? 'short' : 'narrow',
      maximumFractionDigits: digits,
    })
      .format(v)
      // Intl's narrow units have no space in English ("5s"); the app writes "5 s" as in SI.
      .replace(/(\d)([a-z])/i, '$1\u00a0$2');
  if (seconds < 10) return unit('second', seconds, seconds < 1 ? 2 : 1);
  if (seconds < 60) return unit('second', Math.round(seconds));
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return s === 0 ? unit('minute', m) : `${unit('minute', m)} ${unit('second', s)}`;
}

export function formatMilliseconds(ms: number, language = currentLanguage()): string {
  if (!Number.isFinite(ms)) return '';
  return ms < 1000
    ? formatNumber(Math.round(ms), { style: 'unit', unit: 'millisecond' }, language)
    : formatDuration(ms / 1000, language);
}

/** Money in US dollars (what providers price in), with enough digits to show fractions of a cent. */
export function formatMoney(usd: number, language = currentLanguage()): string {
  const currency = { style: 'currency', currency: 'USD' } as const;
  // A fraction of a cent keeps two significant digits ($0.00012), never rounding a real cost to $0.00.
  if (usd !== 0 && Math.abs(usd) < 0.01)
    return formatNumber(usd, { ...currency, maximumSignificantDigits: 2 }, language);
  return formatNumber(
    usd,
    { ...currency, minimumFractionDigits: 2, maximumFractionDigits: Math.abs(usd) < 0.1 ? 4 : 2 },
    language,
  );
}

/** A share from 0 to 1: "95 %" in French, "95%" in English. */
export function formatPercent(share: number, digits = 0, language = currentLanguage()): string {
  return formatNumber(share, { style: 'percent', maximumFractionDigits: digits }, language);
}

/** "English, French and Spanish" (conjunction), or "a, b, c" (unit), in the current language. */
export function formatList(
  items: readonly string[],
  type: 'conjunction' | 'unit' = 'conjunction',
  language = currentLanguage(),
): string {
  return new Intl.ListFormat(language, { style: 'long', type }).format(items);
}

export function formatDate(
  date: Date | number,
  options: Intl.DateTimeFormatOptions = { dateStyle: 'medium' },
  language = currentLanguage(),
): string {
  return new Intl.DateTimeFormat(language, options).format(date);
}

/** "3 minutes ago", "il y a 3 minutes". */
export function formatRelativeTime(
  date: Date | number,
  now = Date.now(),
  language = currentLanguage(),
): string {
  const seconds = (Number(date) - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 7],
    ['week', 4.35],
    ['month', 12],
    ['year', Infinity],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return rtf.format(Math.round(value), unit);
    value /= size;
  }
  return rtf.format(Math.round(value), 'year');
}

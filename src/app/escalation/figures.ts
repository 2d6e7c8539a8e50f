import { formatDate, formatNumber } from '../../i18n/format.ts';

/** A day written YYYY-MM-DD (a price table's, a model list's) as the reader writes dates; left as is otherwise. */
export function dayText(date: string): string {
  const at = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(at) ? date : formatDate(at, { dateStyle: 'medium', timeZone: 'UTC' });
}

/** Token counts as the router's sentences write them: 4096, 32,768 (4096, 32 768 in French). */
export const tokens = (n: number) => formatNumber(n, { useGrouping: 'min2' });

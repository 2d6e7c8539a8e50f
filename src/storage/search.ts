/** Full-text matching helpers: case- and accent-insensitive, every term must appear somewhere. */

export function normalizeForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

export function searchTerms(query: string): string[] {
  return [...new Set(normalizeForSearch(query).split(/\s+/).filter(Boolean))];
}

/** An excerpt of `text` around `index`, at most ~`width` characters, with ellipses where it was cut. */
export function snippetAround(text: string, index: number, termLength: number, width = 80): string {
  const before = Math.max(0, Math.floor((width - termLength) / 2));
  const start = Math.max(0, index - before);
  const end = Math.min(text.length, start + width);
  const body = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}

/**
 * First position of any term in `normalized`. NFD normalisation can change lengths, so the index is mapped
 * back to `original` only approximately; it is used for snippets, never for editing.
 */
export function firstMatch(normalized: string, terms: string[]): { index: number; length: number } | null {
  let best: { index: number; length: number } | null = null;
  for (const term of terms) {
    const index = normalized.indexOf(term);
    if (index >= 0 && (best === null || index < best.index)) best = { index, length: term.length };
  }
  return best;
}

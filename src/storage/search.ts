/** Full-text search: case- and accent-insensitive, every term must appear somewhere in a conversation. */
import type { IDBPDatabase } from 'idb';
import { storageError, type PetitDB } from './schema.ts';
import type { SearchHit, SearchMatch } from './types.ts';

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

/**
 * Conversations whose title and messages together contain every term, newest first, with up to three matches
 * each (snippets in message order). One read transaction; messages are read in batches to bound memory.
 */
export async function searchConversations(
  db: IDBPDatabase<PetitDB>,
  query: string,
  limit: number,
): Promise<SearchHit[]> {
  const terms = searchTerms(String(query ?? ''));
  if (terms.length === 0) return [];
  try {
    const tx = db.transaction(['conversations', 'messages'], 'readonly');
    const found = new Map<string, { terms: Set<string>; matches: (SearchMatch & { seq: number })[] }>();
    const note = (conversationId: string, text: string, match: SearchMatch & { seq: number }) => {
      const normalized = normalizeForSearch(text);
      const present = terms.filter((t) => normalized.includes(t));
      if (present.length === 0) return;
      let entry = found.get(conversationId);
      if (!entry) found.set(conversationId, (entry = { terms: new Set(), matches: [] }));
      present.forEach((t) => entry.terms.add(t));
      const at = firstMatch(normalized, present);
      entry.matches.push({ ...match, snippet: at ? snippetAround(text, at.index, at.length) : '' });
    };
    const conversations = await tx.objectStore('conversations').getAll();
    for (const c of conversations) note(c.id, c.title, { messageId: null, role: null, snippet: '', seq: -1 });
    // Batches keep memory bounded when years of conversations are stored.
    const messages = tx.objectStore('messages');
    let after: IDBKeyRange | undefined;
    for (;;) {
      const batch = await messages.getAll(after, 500);
      for (const m of batch)
        note(m.conversationId, m.content, { messageId: m.id, role: m.role, snippet: '', seq: m.seq });
      if (batch.length < 500) break;
      const last = batch[batch.length - 1];
      after = IDBKeyRange.lowerBound([last.conversationId, last.id], true);
    }
    await tx.done;
    return conversations
      .filter((c) => found.get(c.id)?.terms.size === terms.length)
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, limit)
      .map((c) => ({
        conversationId: c.id,
        title: c.title,
        updatedAt: c.updatedAt,
        matches: found
          .get(c.id)!
          .matches.sort((a, b) => a.seq - b.seq)
          .slice(0, 3)
          .map(({ seq: _s, ...m }) => m),
      }));
  } catch (error) {
    throw storageError('search conversations', error);
  }
}

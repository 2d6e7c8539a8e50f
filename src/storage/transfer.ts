/**
 * Export and import of conversations (and the router weights learned from the user), each in one transaction so
 * that an export is a consistent snapshot and an import lands whole or not at all. Formats: export-format.ts.
 */
import type { IDBPDatabase } from 'idb';
import { checkUserWeights } from '../escalation/router-user-weights.ts';
import { makeExport, validateExport, type ConversationExport } from './export-format.ts';
import { messageKeysOf, messagesOf, toMessage } from './records.ts';
import { ROUTER_WEIGHTS_KEY } from './router-weights.ts';
import { storageError, type PetitDB } from './schema.ts';
import type { ImportOptions, ImportResult } from './types.ts';

export async function exportConversations(
  db: IDBPDatabase<PetitDB>,
  now: number,
  ids?: string[],
): Promise<ConversationExport> {
  try {
    const tx = db.transaction(['conversations', 'messages', 'settings'], 'readonly');
    // What the router learned from this user goes in full exports (issue 14).
    const learned = ids
      ? undefined
      : checkUserWeights(await tx.objectStore('settings').get(ROUTER_WEIGHTS_KEY));
    let records = (await tx.objectStore('conversations').index('byUpdatedAt').getAll()).reverse();
    if (ids) {
      const wanted = new Set(ids);
      records = records.filter((r) => wanted.has(r.id));
    }
    const byConversation = tx.objectStore('messages').index('byConversation');
    const conversations = await Promise.all(
      records.map(async ({ messageCount: _m, nextSeq: _n, ...meta }) => ({
        ...meta,
        messages: (await byConversation.getAll(messagesOf(meta.id))).map(toMessage),
      })),
    );
    await tx.done;
    return makeExport(conversations, now, learned?.ok ? learned.value : undefined);
  } catch (error) {
    throw storageError('export conversations', error);
  }
}

export async function importConversations(
  db: IDBPDatabase<PetitDB>,
  data: ConversationExport,
  options: ImportOptions,
  newId: () => string,
): Promise<ImportResult> {
  const valid = validateExport(data);
  const onConflict = options.onConflict ?? 'copy';
  const result: ImportResult = { imported: 0, skipped: 0, renamed: {} };
  try {
    const tx = db.transaction(['conversations', 'messages', 'settings'], 'readwrite');
    const conversations = tx.objectStore('conversations');
    const messages = tx.objectStore('messages');
    if (valid.routerWeights) await tx.objectStore('settings').put(valid.routerWeights, ROUTER_WEIGHTS_KEY);
    for (const { messages: list, ...meta } of valid.conversations) {
      let id = meta.id;
      if ((await conversations.getKey(id)) !== undefined) {
        if (onConflict === 'skip') {
          result.skipped++;
          continue;
        }
        if (onConflict === 'overwrite') await messages.delete(messageKeysOf(id));
        else {
          do id = newId();
          while ((await conversations.getKey(id)) !== undefined);
          result.renamed[meta.id] = id;
        }
      }
      await conversations.put({ ...meta, id, messageCount: list.length, nextSeq: list.length });
      for (const [seq, m] of list.entries()) {
        // Nobody is writing an imported stream any more.
        const status = m.status === 'streaming' ? 'interrupted' : m.status;
        await messages.put({ ...m, status, conversationId: id, seq });
      }
      result.imported++;
    }
    await tx.done;
    return result;
  } catch (error) {
    throw storageError('import conversations', error);
  }
}

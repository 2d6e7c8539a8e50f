import type { MessageRecord } from './schema.ts';
import type { StoredMessage } from './types.ts';

/** A conversation's messages in the `byConversation` index, in order. */
export const messagesOf = (conversationId: string) =>
  IDBKeyRange.bound([conversationId, -Infinity], [conversationId, Infinity]);
/** All primary keys [conversationId, anyMessageId]: arrays sort after strings, so [id, []] is past every message. */
export const messageKeysOf = (conversationId: string) =>
  IDBKeyRange.bound([conversationId], [conversationId, []]);

export function toMessage(record: MessageRecord): StoredMessage {
  const { conversationId: _c, seq: _s, ...message } = record;
  return message;
}

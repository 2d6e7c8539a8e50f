import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { PetitError } from '../engine/errors.ts';
import {
  parseJsonExport,
  parseMarkdownExport,
  toMarkdown,
  type ConversationExport,
} from './export-format.ts';
import { messageKeysOf, messagesOf, toMessage } from './records.ts';
import { storageError, type ConversationRecord, type MessageRecord, type PetitDB } from './schema.ts';
import { searchConversations } from './search.ts';
import { acquireLock, isLockFree, streamingLockName } from './streaming-lock.ts';
import { StreamingWriter, type StreamingOptions } from './streaming-writer.ts';
import { exportConversations, importConversations } from './transfer.ts';
import type {
  Conversation,
  ConversationSummary,
  ImportOptions,
  ImportResult,
  MessagePatch,
  NewMessage,
  SearchHit,
  StoredMessage,
} from './types.ts';

export const DEFAULT_TITLE = 'New conversation';
const MAX_TITLE_LENGTH = 500;

export interface ConversationStoreOptions {
  /** Clock, in milliseconds since the epoch. */
  now?: () => number;
  newId?: () => string;
}

function toSummary(record: ConversationRecord): ConversationSummary {
  const { nextSeq: _n, ...summary } = record;
  return summary;
}

function checkTitle(title: unknown): string {
  if (typeof title !== 'string')
    throw new PetitError('invalid-request', 'A conversation title must be text.');
  const trimmed = title.trim();
  if (trimmed.length > MAX_TITLE_LENGTH) {
    throw new PetitError(
      'invalid-request',
      `A conversation title can be at most ${MAX_TITLE_LENGTH} characters; shorten it.`,
    );
  }
  return trimmed || DEFAULT_TITLE;
}

function missing(conversationId: string): PetitError {
  return new PetitError(
    'storage-error',
    `The conversation ${conversationId} no longer exists (it may have been deleted in another tab). Pick another conversation.`,
  );
}

/** Drops undefined optional fields so stored records equal what an export/import round trip produces. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export class ConversationStore {
  readonly #db: IDBPDatabase<PetitDB>;
  readonly #dbName: string;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #writers = new Set<StreamingWriter>();

  constructor(db: IDBPDatabase<PetitDB>, dbName: string, options: ConversationStoreOptions = {}) {
    this.#db = db;
    this.#dbName = dbName;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** Newest first (by last update). */
  async list(): Promise<ConversationSummary[]> {
    try {
      const records = await this.#db.getAllFromIndex('conversations', 'byUpdatedAt');
      return records.reverse().map(toSummary);
    } catch (error) {
      throw storageError('list conversations', error);
    }
  }

  async get(id: string): Promise<Conversation | undefined> {
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readonly');
      const [record, messages] = await Promise.all([
        tx.objectStore('conversations').get(id),
        tx.objectStore('messages').index('byConversation').getAll(messagesOf(id)),
      ]);
      await tx.done;
      if (!record) return undefined;
      const { messageCount: _m, nextSeq: _n, ...meta } = record;
      return { ...meta, messages: messages.map(toMessage) };
    } catch (error) {
      throw storageError('read the conversation', error);
    }
  }

  async create(
    input: { title?: string; modelId?: string | null; messages?: NewMessage[] } = {},
  ): Promise<Conversation> {
    const now = this.#now();
    const messages = (input.messages ?? []).map((m) => this.#newMessage(m, now));
    const record: ConversationRecord = {
      id: this.#newId(),
      title: checkTitle(input.title ?? DEFAULT_TITLE),
      createdAt: now,
      updatedAt: now,
      modelId: input.modelId ?? null,
      messageCount: messages.length,
      nextSeq: messages.length,
    };
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readwrite');
      await tx.objectStore('conversations').add(record);
      await Promise.all(
        messages.map((m, seq) => tx.objectStore('messages').add({ ...m, conversationId: record.id, seq })),
      );
      await tx.done;
    } catch (error) {
      throw storageError('create the conversation', error);
    }
    const { messageCount: _m, nextSeq: _n, ...meta } = record;
    return { ...meta, messages };
  }

  async rename(id: string, title: string): Promise<void> {
    const clean = checkTitle(title);
    await this.#updateConversation(id, 'rename the conversation', (record) => {
      record.title = clean;
      record.updatedAt = this.#now();
    });
  }

  /** Resolves false when there was nothing to delete. */
  async delete(id: string): Promise<boolean> {
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readwrite');
      const existed = (await tx.objectStore('conversations').getKey(id)) !== undefined;
      await tx.objectStore('conversations').delete(id);
      await tx.objectStore('messages').delete(messageKeysOf(id));
      await tx.done;
      return existed;
    } catch (error) {
      throw storageError('delete the conversation', error);
    }
  }

  async appendMessage(conversationId: string, input: NewMessage): Promise<StoredMessage> {
    const message = this.#newMessage(input, this.#now());
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readwrite');
      const conversations = tx.objectStore('conversations');
      // Reading nextSeq and writing it back in one readwrite transaction serialises appends from every tab.
      const record = await conversations.get(conversationId);
      if (!record) throw missing(conversationId);
      await tx.objectStore('messages').add({ ...message, conversationId, seq: record.nextSeq });
      record.nextSeq += 1;
      record.messageCount += 1;
      record.updatedAt = Math.max(record.updatedAt, message.createdAt);
      await conversations.put(record);
      await tx.done;
      return message;
    } catch (error) {
      throw storageError('save the message', error);
    }
  }

  /** Changes one message; `touch` also moves the conversation to the top of the list. */
  async updateMessage(
    conversationId: string,
    messageId: string,
    patch: MessagePatch,
    touch = true,
  ): Promise<StoredMessage> {
    try {
      const stores = touch ? (['conversations', 'messages'] as const) : (['messages'] as const);
      const tx = this.#db.transaction([...stores], 'readwrite');
      const messages = tx.objectStore('messages');
      const record = await messages.get([conversationId, messageId]);
      if (!record) {
        throw new PetitError(
          'storage-error',
          `The message ${messageId} no longer exists (its conversation may have been deleted in another tab).`,
        );
      }
      const updated = compact({ ...record, ...patch });
      await messages.put(updated);
      if (touch) {
        const conversations = tx.objectStore('conversations');
        const conversation = await conversations.get(conversationId);
        if (conversation) await conversations.put({ ...conversation, updatedAt: this.#now() });
      }
      await tx.done;
      return toMessage(updated);
    } catch (error) {
      throw storageError('update the message', error);
    }
  }

  async deleteMessage(conversationId: string, messageId: string): Promise<void> {
    await this.#updateConversation(conversationId, 'delete the message', async (record, tx) => {
      const messages = tx.objectStore('messages');
      if ((await messages.getKey([conversationId, messageId])) === undefined) return;
      await messages.delete([conversationId, messageId]);
      record.messageCount -= 1;
      record.updatedAt = this.#now();
    });
  }

  /**
   * Appends an empty 'streaming' message and returns a writer that saves its growing text at most every
   * `throttleMs`. While it streams, a Web Lock marks it alive so other tabs' `markInterrupted()` leave it alone.
   */
  async startStreaming(
    conversationId: string,
    init: Omit<NewMessage, 'content' | 'status'> & { content?: string } = { role: 'assistant' },
    options: StreamingOptions = {},
  ): Promise<StreamingWriter> {
    const id = init.id ?? this.#newId();
    const lock = await acquireLock(streamingLockName(this.#dbName, conversationId, id));
    try {
      const message = await this.appendMessage(conversationId, {
        ...init,
        id,
        content: init.content ?? '',
        status: 'streaming',
      });
      const writer = new StreamingWriter(this, conversationId, message, lock, options, () =>
        this.#writers.delete(writer),
      );
      this.#writers.add(writer);
      return writer;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * At startup: messages still 'streaming' whose writer is gone (a crash, a reload, a closed tab) become
   * 'interrupted', keeping the text saved so far. Streams that a live tab is still writing are left alone.
   * Resolves with the number of messages marked.
   */
  async markInterrupted(): Promise<number> {
    try {
      const streaming = await this.#db.getAllFromIndex('messages', 'byStatus', 'streaming');
      const dead: MessageRecord[] = [];
      for (const m of streaming) {
        if (await isLockFree(streamingLockName(this.#dbName, m.conversationId, m.id))) dead.push(m);
      }
      if (dead.length === 0) return 0;
      const tx = this.#db.transaction('messages', 'readwrite');
      let marked = 0;
      for (const m of dead) {
        const current = await tx.store.get([m.conversationId, m.id]);
        if (current?.status !== 'streaming') continue;
        await tx.store.put({ ...current, status: 'interrupted' });
        marked++;
      }
      await tx.done;
      return marked;
    } catch (error) {
      throw storageError('recover interrupted answers', error);
    }
  }

  /**
   * Conversations whose title and messages together contain every word of `query` (case and accents ignored),
   * newest first, with up to three matching excerpts each.
   */
  search(query: string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    return searchConversations(this.#db, query, options.limit ?? 50);
  }

  /** A consistent snapshot (one transaction) of the given conversations, or all of them, newest first. */
  exportData(ids?: string[]): Promise<ConversationExport> {
    return exportConversations(this.#db, this.#now(), ids);
  }

  /** JSON text of `exportData()`. API keys live in another store and are never part of it. */
  async exportJson(ids?: string[]): Promise<string> {
    return JSON.stringify(await this.exportData(ids), null, 2);
  }

  async exportMarkdown(ids?: string[]): Promise<string> {
    return toMarkdown(await this.exportData(ids));
  }

  /** Imports a JSON export (text or parsed). Everything is validated first and written in one transaction. */
  async importJson(input: unknown, options: ImportOptions = {}): Promise<ImportResult> {
    return this.importData(parseJsonExport(input), options);
  }

  /** Imports a Markdown export, exactly as `exportMarkdown()` wrote it. */
  async importMarkdown(text: string, options: ImportOptions = {}): Promise<ImportResult> {
    return this.importData(parseMarkdownExport(text), options);
  }

  importData(data: ConversationExport, options: ImportOptions = {}): Promise<ImportResult> {
    return importConversations(this.#db, data, options, this.#newId);
  }

  /** Called by `PetitStorage.close()`: like a page unload, abandons writers without saving and frees their locks. */
  abandonWriters(): void {
    for (const writer of [...this.#writers]) writer.abandon();
  }

  #newMessage(input: NewMessage, now: number): StoredMessage {
    if (typeof input.content !== 'string')
      throw new PetitError('invalid-request', 'A message needs text content.');
    return compact({
      id: input.id ?? this.#newId(),
      role: input.role,
      content: input.content,
      createdAt: input.createdAt ?? now,
      status: input.status ?? 'complete',
      source: input.source ?? 'on-device',
      modelId: input.modelId,
      usage: input.usage,
      error: input.error,
    });
  }

  async #updateConversation(
    id: string,
    action: string,
    change: (
      record: ConversationRecord,
      tx: IDBPTransaction<PetitDB, ['conversations', 'messages'], 'readwrite'>,
    ) => void | Promise<void>,
  ): Promise<void> {
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readwrite');
      const record = await tx.objectStore('conversations').get(id);
      if (!record) throw missing(id);
      await change(record, tx);
      await tx.objectStore('conversations').put(record);
      await tx.done;
    } catch (error) {
      throw storageError(action, error);
    }
  }
}

export { StreamingWriter } from './streaming-writer.ts';
export type { StreamingOptions, FinishOptions } from './streaming-writer.ts';

import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { PetitError } from '../engine/errors.ts';
import {
  makeExport,
  parseJsonExport,
  parseMarkdownExport,
  toMarkdown,
  validateExport,
  type ConversationExport,
} from './export-format.ts';
import { storageError, type ConversationRecord, type MessageRecord, type PetitDB } from './schema.ts';
import { firstMatch, normalizeForSearch, searchTerms, snippetAround } from './search.ts';
import { acquireLock, isLockFree, streamingLockName, type HeldLock } from './streaming-lock.ts';
import type {
  Conversation,
  ConversationSummary,
  ImportOptions,
  ImportResult,
  MessagePatch,
  NewMessage,
  SearchHit,
  SearchMatch,
  StoredMessage,
} from './types.ts';
import { checkUserWeights } from '../escalation/router-user-weights.ts';
import { ROUTER_WEIGHTS_KEY } from './router-weights.ts';

export const DEFAULT_TITLE = 'New conversation';
const MAX_TITLE_LENGTH = 500;

export interface ConversationStoreOptions {
  /** Clock, in milliseconds since the epoch. */
  now?: () => number;
  newId?: () => string;
}

export interface StreamingOptions {
  /** Minimum time between two saves of the growing text (default 250 ms). */
  throttleMs?: number;
  /** A save failed (the stream goes on; `finish()` tries again and rejects if that fails too). */
  onError?: (error: PetitError) => void;
}

export interface FinishOptions {
  status?: 'complete' | 'interrupted' | 'error';
  /** Final text, if different from the last `update()`. */
  content?: string;
  usage?: StoredMessage['usage'];
  error?: StoredMessage['error'];
  modelId?: string;
}

const messagesOf = (conversationId: string) =>
  IDBKeyRange.bound([conversationId, -Infinity], [conversationId, Infinity]);
/** All primary keys [conversationId, anyMessageId]: arrays sort after strings, so [id, []] is past every message. */
const messageKeysOf = (conversationId: string) => IDBKeyRange.bound([conversationId], [conversationId, []]);

function toMessage(record: MessageRecord): StoredMessage {
  const { conversationId: _c, seq: _s, ...message } = record;
  return message;
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
  async search(query: string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    const terms = searchTerms(String(query ?? ''));
    if (terms.length === 0) return [];
    const limit = options.limit ?? 50;
    try {
      const tx = this.#db.transaction(['conversations', 'messages'], 'readonly');
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
      for (const c of conversations)
        note(c.id, c.title, { messageId: null, role: null, snippet: '', seq: -1 });
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

  /** A consistent snapshot (one transaction) of the given conversations, or all of them, newest first. */
  async exportData(ids?: string[]): Promise<ConversationExport> {
    try {
      const tx = this.#db.transaction(['conversations', 'messages', 'settings'], 'readonly');
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
      return makeExport(conversations, this.#now(), learned?.ok ? learned.value : undefined);
    } catch (error) {
      throw storageError('export conversations', error);
    }
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

  async importData(data: ConversationExport, options: ImportOptions = {}): Promise<ImportResult> {
    const valid = validateExport(data);
    const onConflict = options.onConflict ?? 'copy';
    const result: ImportResult = { imported: 0, skipped: 0, renamed: {} };
    try {
      const tx = this.#db.transaction(['conversations', 'messages', 'settings'], 'readwrite');
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
            do id = this.#newId();
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

/** Saves a message's text as it streams: cheap `update()` per token, throttled writes, one final `finish()`. */
export class StreamingWriter {
  readonly conversationId: string;
  readonly messageId: string;
  #text: string;
  #saved: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #done = false;
  readonly #store: ConversationStore;
  readonly #lock: HeldLock;
  readonly #throttleMs: number;
  readonly #onError: ((error: PetitError) => void) | undefined;
  readonly #onClose: () => void;

  constructor(
    store: ConversationStore,
    conversationId: string,
    message: StoredMessage,
    lock: HeldLock,
    options: StreamingOptions,
    onClose: () => void,
  ) {
    this.#store = store;
    this.conversationId = conversationId;
    this.messageId = message.id;
    this.#text = this.#saved = message.content;
    this.#lock = lock;
    this.#throttleMs = options.throttleMs ?? 250;
    this.#onError = options.onError;
    this.#onClose = onClose;
    // A reload or tab close: save the last unsaved tokens while the page can still start a transaction.
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
  }

  readonly #onPageHide = () => void this.flush();

  get text(): string {
    return this.#text;
  }

  /** The whole text so far. Cheap: it only schedules a save. */
  update(text: string): void {
    if (this.#done) return;
    this.#text = text;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#save();
      }, this.#throttleMs);
    }
  }

  append(delta: string): void {
    this.update(this.#text + delta);
  }

  /** Saves now what has not been saved yet. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#save();
  }

  /** Saves the final text and status, moves the conversation to the top, and releases the stream lock. */
  async finish(options: FinishOptions = {}): Promise<StoredMessage> {
    if (this.#done)
      throw new PetitError('storage-error', 'This answer was already finished; start a new one.');
    if (options.content !== undefined) this.#text = options.content;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#done = true;
    try {
      await this.#chain;
      return await this.#store.updateMessage(this.conversationId, this.messageId, {
        content: this.#text,
        status: options.status ?? 'complete',
        usage: options.usage,
        error: options.error,
        ...(options.modelId === undefined ? {} : { modelId: options.modelId }),
      });
    } finally {
      this.#release();
    }
  }

  /** Stops without saving (what a page unload does); the message stays 'streaming' until `markInterrupted()`. */
  abandon(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#done = true;
    this.#release();
  }

  #release(): void {
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    this.#lock.release();
    this.#onClose();
  }

  #save(): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      const text = this.#text;
      if (text === this.#saved) return;
      try {
        await this.#store.updateMessage(this.conversationId, this.messageId, { content: text }, false);
        this.#saved = text;
      } catch (error) {
        this.#onError?.(storageError('save the answer as it streams', error));
      }
    });
    return this.#chain;
  }
}

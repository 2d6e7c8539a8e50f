/**
 * Saving a message as it streams: a cheap `update()` per token, throttled writes, one final `finish()`, and a Web
 * Lock held meanwhile so that other tabs can tell a live stream from a dead one (conversations.ts).
 */
import { PetitError } from '../engine/errors.ts';
import type { ConversationStore } from './conversations.ts';
import { storageError } from './schema.ts';
import type { HeldLock } from './streaming-lock.ts';
import type { StoredMessage } from './types.ts';

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

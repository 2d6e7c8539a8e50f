import type { ChatRole, CompletionUsage, InferenceSource } from '../engine/protocol.ts';

export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'error';
export const MESSAGE_STATUSES = [
  'complete',
  'streaming',
  'interrupted',
  'error',
] as const satisfies readonly MessageStatus[];
export const MESSAGE_ROLES = ['system', 'user', 'assistant'] as const satisfies readonly ChatRole[];
export const MESSAGE_SOURCES = ['on-device', 'remote'] as const satisfies readonly InferenceSource[];

/** What went wrong with an answer, kept so the UI can show it after a reload. */
export interface StoredMessageError {
  code: string;
  message: string;
}

export interface StoredMessage {
  id: string;
  role: ChatRole;
  content: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  status: MessageStatus;
  source: InferenceSource;
  modelId?: string;
  usage?: CompletionUsage;
  error?: StoredMessageError;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  /** The model the conversation was started with (null until one is chosen). */
  modelId: string | null;
  messages: StoredMessage[];
}

/** A conversation without its messages, for the sidebar list. */
export type ConversationSummary = Omit<Conversation, 'messages'> & { messageCount: number };

export interface NewMessage {
  role: ChatRole;
  content: string;
  status?: MessageStatus;
  source?: InferenceSource;
  modelId?: string;
  usage?: CompletionUsage;
  error?: StoredMessageError;
  /** Defaults to a random UUID. */
  id?: string;
  /** Defaults to now. */
  createdAt?: number;
}

export type MessagePatch = Partial<Pick<StoredMessage, 'content' | 'status' | 'modelId' | 'usage' | 'error'>>;

export interface SearchMatch {
  /** null when the title matched. */
  messageId: string | null;
  role: ChatRole | null;
  /** A short excerpt around the first matching term. */
  snippet: string;
}

export interface SearchHit {
  conversationId: string;
  title: string;
  updatedAt: number;
  matches: SearchMatch[];
}

export interface ImportOptions {
  /**
   * What to do when an imported conversation's id already exists: `copy` (default) imports it under a new id,
   * `overwrite` replaces the stored one, `skip` keeps the stored one.
   */
  onConflict?: 'copy' | 'overwrite' | 'skip';
}

export interface ImportResult {
  imported: number;
  skipped: number;
  /** Conversations stored under a new id because theirs was taken: old id -> new id. */
  renamed: Record<string, string>;
}

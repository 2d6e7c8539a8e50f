/**
 * The shapes shared by the remote client and its protocol adapters (openai-compatible.provider.ts,
 * anthropic.provider.ts): what prepare() takes and returns, and what an adapter reads from a provider's answer.
 */
import type { ChatMessage, FinishReason } from '../../engine/protocol.ts';
import type { ResolvedEndpoint } from './endpoint.ts';
import type { ProviderId, ProviderProtocol } from './presets.ts';
import type { SseEvent } from './sse.ts';

export interface PrepareOptions {
  stream?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
}

export interface PreparedRequest {
  readonly providerId: ProviderId;
  readonly providerLabel: string;
  readonly protocol: ProviderProtocol;
  readonly url: string;
  readonly host: string;
  readonly model: string;
  readonly stream: boolean;
  /** The messages given to prepare() (after redaction), for display. */
  readonly messages: readonly ChatMessage[];
  /** The JSON body, deep-frozen. */
  readonly body: Readonly<Record<string, unknown>>;
  /** `JSON.stringify(body)`: exactly the bytes sent. */
  readonly bodyText: string;
  /** Headers sent besides the key (the key header is named, never valued). */
  readonly headers: Readonly<Record<string, string>>;
  readonly authHeader: string | null;
}

export interface ParsedCompletion {
  id?: string;
  model?: string;
  text: string;
  finish: FinishReason;
  promptTokens?: number;
  completionTokens?: number;
}

export interface StreamStep {
  text?: string;
  done?: boolean;
  /** An error event inside the stream. */
  error?: { rateLimited: boolean; message: string };
  /** The event could not be read. */
  bad?: string;
}

export interface StreamState {
  step(event: SseEvent): StreamStep;
  result(): Omit<ParsedCompletion, 'text'>;
}

export interface ProtocolAdapter {
  path: string;
  buildBody(
    messages: readonly ChatMessage[],
    endpoint: ResolvedEndpoint,
    options: PrepareOptions & { stream: boolean },
  ): Record<string, unknown>;
  parseCompletion(json: unknown): ParsedCompletion | null;
  newStream(): StreamState;
}

export interface SendOptions {
  signal?: AbortSignal;
}

/**
 * Consent: the preview the dialog shows is built from the very request object that is then sent (same URL, same
 * JSON body text, messages after redaction), so what the user sees is what leaves the device. Consent scopes:
 * 'once' (this preview only), 'conversation' (this provider, for this conversation) and 'auto' (the per-provider
 * opt-in of the "Send automatically when needed" mode, revocable). `sendRemote` / `streamRemote` refuse to send
 * without a matching consent, and put redacted values back into the answer.
 */
import { PetitError, isPetitError } from '../engine/errors.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage } from '../engine/protocol.ts';
import { ESCALATION_MODES, type EscalationMode } from './modes.ts';
import {
  DEFAULT_PRICE_TABLE,
  PRICE_TABLE_DATE,
  costUsd,
  estimateTokens,
  findPrice,
  type ModelPrice,
} from './pricing.ts';
import type { ProviderId } from './providers/presets.ts';
import type { PreparedRequest, RemoteClient } from './providers/remote-client.ts';
import { Redactor, type RedactionEntry } from './redaction.ts';

export type ConsentScope = 'once' | 'conversation' | 'auto';

export interface CostEstimate {
  /** Estimated prompt tokens of the body as sent. */
  inputTokens: number;
  /** The answer length the estimate allows for (the request's max tokens, or 1024). */
  maxOutputTokens: number;
  /** USD for the input alone, and at most with a full-length answer; null when the price is unknown. */
  costUsd: { input: number; upTo: number } | null;
  priceDate: string;
  priceIsEstimate: boolean;
  priceSource: string | null;
}

export interface ConsentPreview {
  /** The exact request that `sendRemote` / `streamRemote` send. */
  readonly request: PreparedRequest;
  readonly conversationId: string;
  readonly destination: {
    readonly providerId: ProviderId;
    readonly providerLabel: string;
    readonly host: string;
    readonly url: string;
    readonly model: string;
    /** The provider runs on the user's own machine (Ollama, LM Studio). */
    readonly onThisComputer: boolean;
  };
  /** The messages as they will be sent (after redaction). */
  readonly messages: readonly ChatMessage[];
  /** The exact JSON body text. */
  readonly bodyText: string;
  /** What was replaced in these messages (original values are shown locally only). */
  readonly redactions: readonly RedactionEntry[];
  readonly estimate: CostEstimate;
}

export interface BuildPreviewInput {
  client: RemoteClient;
  conversationId: string;
  messages: readonly ChatMessage[];
  /** The conversation's redactor (keeps placeholders stable); a new one when omitted. */
  redactor?: Redactor;
  /** Redaction is on by default; false only when the user turned it off in Settings. */
  redact?: boolean;
  stream?: boolean;
  maxTokens?: number;
  temperature?: number;
  priceTable?: readonly ModelPrice[];
}

export function buildConsentPreview(input: BuildPreviewInput): ConsentPreview {
  const redactor = input.redactor ?? new Redactor();
  const messages = input.redact === false ? [...input.messages] : redactor.redactMessages(input.messages);
  const request = input.client.prepare(messages, {
    stream: input.stream ?? true,
    maxTokens: input.maxTokens,
    temperature: input.temperature,
  });
  const used = new Set(request.bodyText.match(/\[(?:EMAIL|IBAN|CARD|IP|PHONE)_\d+\]/g) ?? []);
  const redactions = redactor.entries().filter((e) => used.has(e.placeholder));
  // Estimate from what is actually sent: the body's message texts (after any merging the protocol needs).
  const sent = JSON.parse(request.bodyText) as { messages?: { content: string }[]; system?: string };
  const inputTokens =
    (sent.messages ?? []).reduce((s, m) => s + 4 + estimateTokens(m.content), 3) +
    (sent.system ? estimateTokens(sent.system) + 4 : 0);
  const maxOutputTokens = input.maxTokens ?? 1024;
  const price = findPrice(input.priceTable ?? DEFAULT_PRICE_TABLE, request.providerId, request.model);
  const estimate: CostEstimate = {
    inputTokens,
    maxOutputTokens,
    costUsd: price
      ? { input: costUsd(price, inputTokens, 0), upTo: costUsd(price, inputTokens, maxOutputTokens) }
      : null,
    priceDate: PRICE_TABLE_DATE,
    priceIsEstimate: price?.estimate ?? true,
    priceSource: price?.source ?? null,
  };
  return Object.freeze({
    request,
    conversationId: input.conversationId,
    destination: Object.freeze({
      providerId: request.providerId,
      providerLabel: request.providerLabel,
      host: request.host,
      url: request.url,
      model: request.model,
      onThisComputer: input.client.endpoint.preset.local,
    }),
    messages: request.messages,
    bodyText: request.bodyText,
    redactions: Object.freeze(redactions),
    estimate: Object.freeze(estimate),
  });
}

/** What a conversation's consents look like in storage. */
export interface ConsentSnapshot {
  /** `providerId@host` entries opted in to automatic sending. */
  auto: string[];
  /** conversationId → `providerId@host` entries allowed for that conversation. */
  conversations: Record<string, string[]>;
}

const destinationKey = (providerId: string, host: string) => `${providerId}@${host}`;

/**
 * The user's consents. Scoped by provider and host, so changing a provider's address in Settings asks again.
 * 'once' grants live in memory only and are used up by the send they were given for.
 */
export class ConsentLedger {
  #auto = new Set<string>();
  #conversations = new Map<string, Set<string>>();
  #once = new WeakSet<ConsentPreview>();

  constructor(snapshot?: ConsentSnapshot) {
    for (const k of snapshot?.auto ?? []) this.#auto.add(k);
    for (const [c, keys] of Object.entries(snapshot?.conversations ?? {}))
      this.#conversations.set(c, new Set(keys));
  }

  /** Records the user's answer in the dialog ("Send" → once, "Send for this conversation" → conversation). */
  grant(scope: ConsentScope, preview: ConsentPreview): void {
    const key = destinationKey(preview.destination.providerId, preview.destination.host);
    if (scope === 'once') this.#once.add(preview);
    else if (scope === 'conversation') {
      const set = this.#conversations.get(preview.conversationId) ?? new Set<string>();
      set.add(key);
      this.#conversations.set(preview.conversationId, set);
    } else this.#auto.add(key);
  }

  /** The Settings switch for "Send automatically when needed", per provider. */
  optInAuto(providerId: ProviderId, host: string): void {
    this.#auto.add(destinationKey(providerId, host));
  }

  revokeAuto(providerId: ProviderId, host: string): void {
    this.#auto.delete(destinationKey(providerId, host));
  }

  /** Forgets the conversation consent for one provider, or for all when `providerId` is omitted. */
  revokeConversation(conversationId: string, providerId?: ProviderId, host?: string): void {
    if (providerId === undefined) this.#conversations.delete(conversationId);
    else if (host !== undefined)
      this.#conversations.get(conversationId)?.delete(destinationKey(providerId, host));
  }

  hasAutoOptIn(providerId: ProviderId, host: string): boolean {
    return this.#auto.has(destinationKey(providerId, host));
  }

  hasConversationConsent(conversationId: string, providerId: ProviderId, host: string): boolean {
    return this.#conversations.get(conversationId)?.has(destinationKey(providerId, host)) ?? false;
  }

  /** The consent fields of `decideDispatch`'s input. */
  dispatchState(
    conversationId: string,
    providerId: ProviderId,
    host: string,
  ): { consentState: { autoOptIn: boolean }; conversationConsent: boolean } {
    return {
      consentState: { autoOptIn: this.hasAutoOptIn(providerId, host) },
      conversationConsent: this.hasConversationConsent(conversationId, providerId, host),
    };
  }

  /** Whether `preview` may be sent now in `mode`; a 'once' grant is used up. */
  consume(preview: ConsentPreview, mode: EscalationMode): boolean {
    if (!ESCALATION_MODES[mode].mayDispatchRemotely) return false;
    const { providerId, host } = preview.destination;
    if (this.#once.has(preview)) {
      this.#once.delete(preview);
      return true;
    }
    if (this.hasConversationConsent(preview.conversationId, providerId, host)) return true;
    return mode === 'auto' && this.hasAutoOptIn(providerId, host);
  }

  snapshot(): ConsentSnapshot {
    return {
      auto: [...this.#auto].sort(),
      conversations: Object.fromEntries([...this.#conversations].map(([c, s]) => [c, [...s].sort()])),
    };
  }
}

export interface SendRemoteInput {
  preview: ConsentPreview;
  client: RemoteClient;
  ledger: ConsentLedger;
  mode: EscalationMode;
  /** The redactor that built the preview, to restore values in the answer. */
  redactor?: Redactor;
  signal?: AbortSignal;
}

function checkConsent({ preview, ledger, mode }: SendRemoteInput): void {
  if (!ESCALATION_MODES[mode].mayDispatchRemotely) {
    throw new PetitError(
      'consent-required',
      'Petit is set to "On this device only", so nothing is sent. Switch to "Ask me each time" to use a larger model.',
      { details: { mode } },
    );
  }
  if (!ledger.consume(preview, mode)) {
    throw new PetitError(
      'consent-required',
      `Nothing was sent: confirm sending to ${preview.destination.providerLabel} (${preview.destination.host}) first.`,
      { details: { mode, provider: preview.destination.providerId, host: preview.destination.host } },
    );
  }
}

function restoreError(err: unknown, redactor: Redactor | undefined): unknown {
  if (redactor && isPetitError(err) && typeof err.details.partialText === 'string') {
    err.details.partialText = redactor.restore(err.details.partialText);
  }
  return err;
}

/** Sends the previewed request (non-streaming) once consent allows it; the answer has redacted values restored. */
export async function sendRemote(input: SendRemoteInput): Promise<ChatCompletion> {
  checkConsent(input);
  const answer = await input.client.send(input.preview.request, { signal: input.signal });
  const { redactor } = input;
  if (!redactor) return answer;
  return {
    ...answer,
    choices: answer.choices.map((c) => ({
      ...c,
      message: { ...c.message, content: redactor.restore(c.message.content) },
    })),
  };
}

/**
 * Streams the previewed request once consent allows it, restoring redacted values even when a placeholder is
 * split across chunks. On failure the error's `details.partialText` holds the restored partial answer.
 */
export async function* streamRemote(
  input: SendRemoteInput,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  checkConsent(input);
  const restorer = input.redactor?.createStreamRestorer();
  try {
    for await (const chunk of input.client.stream(input.preview.request, { signal: input.signal })) {
      if (!restorer) {
        yield chunk;
        continue;
      }
      const choice = chunk.choices[0];
      const isLast = choice.finish_reason !== null;
      let content = choice.delta.content === undefined ? '' : restorer.push(choice.delta.content);
      if (isLast) content += restorer.flush();
      const delta = { ...choice.delta };
      if (content !== '' || choice.delta.content !== undefined) delta.content = content;
      yield { ...chunk, choices: [{ ...choice, delta }] };
    }
  } catch (err) {
    throw restoreError(err, input.redactor);
  }
}

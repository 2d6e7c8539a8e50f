/**
 * One chat session, free of any framework; the app and the widget run it through thin hooks. A turn: fit the
 * conversation to the model's context → stream the local answer (rendered once per frame) → route → ask for
 * consent → stream the remote answer; a stopped or failed answer keeps what was written. Turns and remote
 * answers run one after another; where messages are shown and saved is the `Transcript`'s business.
 */
import { fitToContext, type ContextNotice } from '../engine/context-window.ts';
import { PetitError, toPetitError } from '../engine/errors.ts';
import type { CompletionUsage, FinishReason } from '../engine/protocol.ts';
import { estimateTokens, type ConsentPreview } from '../escalation/index.ts';
import type { LocalChatEngine } from './chat-engine.ts';
import { confidenceFrom, type Escalator, type LocalAnswer, type RemotePlan } from './escalation.ts';
import { historyBefore, promptHistory, type TranscriptMessage } from './history.ts';
import { streamAnswer, type AnswerSink, type StreamOutcome } from './stream.ts';

/** How an answer ended. `text` is what it says (a failed remote answer's restored partial text). */
export type AnswerEnd =
  | { status: 'complete'; text: string; usage?: CompletionUsage; finishReason: FinishReason | null }
  | { status: 'stopped'; text: string; error: PetitError }
  /** Cut short by a crash, or a remote failure after some text: what was written is kept. */
  | { status: 'interrupted'; text: string; error: PetitError }
  | { status: 'error'; text: string; error: PetitError };

export interface AnswerHandle extends AnswerSink {
  end(end: AnswerEnd): Promise<void>;
}

/** Where the conversation is shown and saved (the app: React state and IndexedDB; the widget: its view). */
export interface Transcript {
  messages(): readonly TranscriptMessage[];
  conversationId(): string | null;
  /** Shows (and saves) the user's message and an empty answer. `tag` is the caller's label for the turn. */
  startTurn(
    content: string,
    modelId: string,
    tag?: string,
  ): Promise<{ conversationId: string | null; answer: AnswerHandle }>;
  startRemote(modelId: string, conversationId: string, tag?: string): Promise<AnswerHandle>;
  /** The tag of the turn an answer belongs to. */
  tagOf?(answerId: string): string | undefined;
}

export interface SessionEvents {
  busy?(state: { generating: boolean; remote: boolean }): void;
  /** Earlier messages were left out so the conversation fits the model's context. */
  contextNotice?(notice: ContextNotice): void;
  localAnswer?(answer: LocalAnswer, end: AnswerEnd): void;
  remoteAnswer?(result: { preview: ConsentPreview; end: AnswerEnd; tag?: string }): void;
  /** The user asked the larger model about this history (the app learns from it). */
  askedLarger?(history: LocalAnswer['history']): void;
}

export interface ChatSessionOptions {
  local: LocalChatEngine;
  transcript: Transcript;
  generation(): { temperature: number; maxTokens: number };
  /** Route → consent → remote after each local answer; none: answers stay on this device. */
  escalator?: Escalator | null;
  events?: SessionEvents;
}

export type TurnResult = AnswerEnd | { status: 'not-loaded'; error: PetitError };

/** How a finished stream ended the answer: a local crash, or a remote failure after some text, keeps it. */
function endOf(out: StreamOutcome, remote: boolean): AnswerEnd {
  if (out.ok) return { status: 'complete', text: out.text, usage: out.usage, finishReason: out.finishReason };
  const { error, text } = out;
  if (error.code === 'aborted') return { status: 'stopped', text, error };
  if ((remote && text) || error.code === 'worker-crashed') return { status: 'interrupted', text, error };
  return { status: 'error', text, error };
}

export class ChatSession {
  private queue: Promise<unknown> = Promise.resolve();
  private abort: AbortController | null = null;
  private state = { generating: false, remote: false };
  private readonly listeners = new Set<SessionEvents>();

  constructor(private readonly options: ChatSessionOptions) {
    if (options.events) this.listeners.add(options.events);
  }

  /** Adds listeners (a UI's state setters); returns how to remove them. */
  listen(events: SessionEvents): () => void {
    this.listeners.add(events);
    return () => void this.listeners.delete(events);
  }

  private emit<K extends keyof SessionEvents>(name: K, ...args: Parameters<NonNullable<SessionEvents[K]>>) {
    for (const l of this.listeners) (l[name] as ((...a: typeof args) => void) | undefined)?.(...args);
  }

  /** Runs `run` after the turns already queued (a remote answer waits for the local one before it). */
  enqueue<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  /** One turn, queued behind the others. */
  send(text: string, tag?: string): Promise<TurnResult> {
    return this.enqueue(() => this.runTurn(text, tag));
  }

  /** Stops the answer streaming now; what arrived is kept. */
  stop(): void {
    this.abort?.abort();
  }

  /** "Not good enough — ask the larger model" on a local answer. */
  async askLarger(answerId: string): Promise<void> {
    const { transcript, escalator } = this.options;
    const history = historyBefore(transcript.messages(), answerId);
    if (!escalator || !history) return;
    this.emit('askedLarger', history);
    const plan = await escalator.askLarger(history, transcript.conversationId());
    if (plan) await this.enqueue(() => this.runRemote(plan, transcript.tagOf?.(answerId)));
  }

  private setBusy(patch: Partial<ChatSession['state']>) {
    this.state = { ...this.state, ...patch };
    this.emit('busy', this.state);
  }

  /** The turn itself, not queued: the caller makes sure none runs at the same time. */
  async runTurn(text: string, tag?: string): Promise<TurnResult> {
    const { local, transcript, escalator } = this.options;
    const content = text.trim();
    const info = local.runtimeInfo();
    if (!info) {
      const error = new PetitError(
        'not-loaded',
        'Choose a model and wait until it is ready before sending a message.',
      );
      return { status: 'not-loaded', error };
    }
    const { temperature, maxTokens } = this.options.generation();
    this.setBusy({ generating: true });
    const controller = new AbortController();
    this.abort = controller;
    const history = [...promptHistory(transcript.messages()), { role: 'user' as const, content }];
    let end: AnswerEnd;
    let answered: LocalAnswer | null = null;
    try {
      const { conversationId, answer } = await transcript.startTurn(content, info.model, tag);
      let out: StreamOutcome;
      let fitted = history;
      try {
        const fit = await fitToContext({
          messages: history,
          countTokens: (m) => local.countTokens(m),
          contextLength: info.contextLength,
          reservedTokens: Math.min(maxTokens, Math.floor(info.contextLength / 4)),
        });
        fitted = fit.messages;
        if (fit.notice) this.emit('contextNotice', fit.notice);
        const routing =
          escalator && (escalator.policy.mode() !== 'local-only' || escalator.policy.explainLocalOnly);
        out = await streamAnswer(
          local,
          {
            messages: fitted,
            stream: true,
            temperature,
            max_tokens: maxTokens,
            signal: controller.signal,
            // The router's confidence signal: mean log-probability of the answer's tokens.
            ...(routing ? { logprobs: true } : {}),
          },
          answer,
        );
      } catch (e) {
        out = { ok: false, text: '', error: toPetitError(e) };
      }
      end = endOf(out, false);
      await answer.end(end);
      if (out.ok) {
        answered = {
          conversationId,
          history: fitted,
          usage: out.usage,
          confidence: confidenceFrom(out.logprobs, out.usage),
          modelId: info.model,
          contextLength: info.contextLength,
        };
        this.emit('localAnswer', answered, end);
      }
    } finally {
      if (this.abort === controller) this.abort = null;
      this.setBusy({ generating: false });
    }
    if (answered && escalator) {
      const a = answered;
      // Routing and any remote answer happen after this turn: a consent waiting for the user must not hold the next.
      queueMicrotask(() => {
        void escalator.afterLocalAnswer(a).then((plan) => {
          if (plan) return this.enqueue(() => this.runRemote(plan, tag));
        });
      });
    }
    return end;
  }

  /** Streams a consented remote answer into a new message; failures keep the conversation and any partial text. */
  private async runRemote(plan: RemotePlan, tag?: string): Promise<void> {
    const { transcript } = this.options;
    const { preview } = plan;
    const answer = await transcript.startRemote(plan.modelId, plan.conversationId, tag);
    this.setBusy({ remote: true });
    const controller = new AbortController();
    this.abort = controller;
    const started = Date.now();
    try {
      const out = await streamAnswer(
        plan.engine,
        {
          messages: preview.messages.map((m) => ({ role: m.role, content: m.content })),
          stream: true,
          signal: controller.signal,
        },
        answer,
      );
      const end = endOf(out, true);
      if (end.status === 'complete' && !end.usage) {
        // Some providers send no usage: estimate it, so the savings meter still counts this answer.
        const out = estimateTokens(end.text);
        end.usage = {
          prompt_tokens: preview.estimate.inputTokens,
          completion_tokens: out,
          total_tokens: preview.estimate.inputTokens + out,
          extra: {
            time_to_first_token_ms: 0,
            prefill_tokens_per_s: 0,
            decode_tokens_per_s: 0,
            total_ms: Date.now() - started,
          },
        };
      }
      await answer.end(end);
      this.emit('remoteAnswer', { preview, end, tag });
    } finally {
      if (this.abort === controller) this.abort = null;
      this.setBusy({ remote: false });
    }
  }
}

/** A value a UI replaces as it re-renders and a session reads when a turn needs it (settings, callbacks). */
export class Latest<T> {
  #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  get(): T {
    return this.#value;
  }
  set(value: T): void {
    this.#value = value;
  }
}

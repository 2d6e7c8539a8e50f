/**
 * One client per configured provider. `prepare()` builds the exact request (URL, model, JSON body text) without
 * the key: that frozen object is what the consent dialog shows and what `send()` / `stream()` put on the wire,
 * byte for byte. The key lives only inside the client and is added as the auth header of requests to the
 * client's own host; a request prepared by another client is refused.
 *
 * Both protocols return the same OpenAI-style ChatCompletion / ChatCompletionChunk as local answers, with
 * `inference_source: 'remote'`.
 */
import { PetitError } from '../../engine/errors.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  CompletionUsage,
  FinishReason,
} from '../../engine/protocol.ts';
import { estimateMessagesTokens, estimateTokens } from '../pricing.ts';
import { anthropicAdapter } from './anthropic.provider.ts';
import { fetchModelList, type ModelList } from './model-list.ts';
import { openAiAdapter } from './openai-compatible.provider.ts';
import type { ProviderId, ProviderProtocol } from './presets.ts';
import { PRESET_MODELS_DATE, PROVIDER_PRESETS } from './presets.ts';
import { pageOrigin } from './reachability.ts';
import type {
  ParsedCompletion,
  PrepareOptions,
  PreparedRequest,
  ProtocolAdapter,
  SendOptions,
} from './remote-types.ts';
import { parseSse } from './sse.ts';
import {
  badResponseError,
  droppedError,
  errorFromStatus,
  failureFromException,
  post,
  resolveEndpoint,
  type FailureContext,
  type ProviderSettings,
  type ResolvedEndpoint,
} from './transport.ts';

// The shared shapes and the model list live in their own modules; callers import them from here.
export type { ModelList } from './model-list.ts';
export type {
  ParsedCompletion,
  PrepareOptions,
  PreparedRequest,
  ProtocolAdapter,
  SendOptions,
  StreamState,
  StreamStep,
} from './remote-types.ts';

/**
 * The answer budget for remote models when the caller's is smaller: reasoning models spend their thinking
 * tokens from `max_tokens` / `max_completion_tokens`, so the local default (a few hundred) would cut most
 * answers before they begin.
 */
export const REMOTE_DEFAULT_MAX_TOKENS = 4096;

/** The budget to ask a remote model for, given the app's own (local) setting. */
export function remoteAnswerBudget(localMaxTokens: number | undefined): number {
  return Math.max(localMaxTokens ?? 0, REMOTE_DEFAULT_MAX_TOKENS);
}

const ADAPTERS: Record<ProviderProtocol, ProtocolAdapter> = {
  openai: openAiAdapter,
  anthropic: anthropicAdapter,
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function validateMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new PetitError('invalid-request', 'There is nothing to send: the conversation has no messages.');
  }
  for (const [i, m] of messages.entries()) {
    if (!m || !['system', 'user', 'assistant'].includes(m.role) || typeof m.content !== 'string') {
      throw new PetitError(
        'invalid-request',
        `Message ${i + 1} must have a role of system, user or assistant and text content.`,
        { details: { index: i } },
      );
    }
  }
  if (!messages.some((m) => m.role === 'user')) {
    throw new PetitError('invalid-request', 'The conversation has no message from you to answer.');
  }
}

function usageOf(
  parsed: Omit<ParsedCompletion, 'text'>,
  text: string,
  messages: readonly ChatMessage[],
  t0: number,
  tFirst: number,
  tEnd: number,
): CompletionUsage {
  // Providers that send no usage (Cohere when streaming, dropped streams) get a local estimate.
  const prompt = parsed.promptTokens ?? estimateMessagesTokens(messages);
  const completion = parsed.completionTokens ?? estimateTokens(text);
  const ttft = Math.max(0, tFirst - t0);
  const decodeMs = Math.max(1, tEnd - tFirst);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    extra: {
      time_to_first_token_ms: Math.round(ttft),
      prefill_tokens_per_s: ttft > 0 ? (prompt / ttft) * 1000 : 0,
      decode_tokens_per_s: (completion / decodeMs) * 1000,
      total_ms: Math.round(tEnd - t0),
    },
  };
}

function newId(): string {
  return `remote-${crypto.randomUUID()}`;
}

export class RemoteClient {
  readonly endpoint: ResolvedEndpoint;
  readonly #apiKey: string | undefined;
  readonly #adapter: ProtocolAdapter;
  readonly #prepared = new WeakSet<PreparedRequest>();

  constructor(settings: ProviderSettings) {
    const protocol = PROVIDER_PRESETS[settings.presetId]?.protocol ?? 'openai';
    this.#adapter = ADAPTERS[protocol];
    this.endpoint = resolveEndpoint(settings, this.#adapter.path);
    // A keyless endpoint never gets a key, even one given by mistake.
    this.#apiKey = this.endpoint.keyless ? undefined : settings.apiKey?.trim() || undefined;
  }

  get providerId(): ProviderId {
    return this.endpoint.providerId;
  }
  get label(): string {
    return this.endpoint.label;
  }
  get host(): string {
    return this.endpoint.host;
  }
  get model(): string {
    return this.endpoint.model;
  }
  get hasKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** Builds the exact request to send; nothing leaves the device. */
  prepare(messages: readonly ChatMessage[], options: PrepareOptions = {}): PreparedRequest {
    validateMessages(messages);
    const stream = options.stream ?? false;
    const body = deepFreeze(this.#adapter.buildBody(messages, this.endpoint, { ...options, stream }));
    const { preset } = this.endpoint;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...preset.headers };
    if (preset.attribution) {
      // OpenRouter's app attribution: the app's address (its origin only, never the page) and its name.
      const origin = pageOrigin();
      if (origin) headers['HTTP-Referer'] = origin;
      headers['X-OpenRouter-Title'] = 'Petit';
    }
    const request: PreparedRequest = Object.freeze({
      providerId: this.endpoint.providerId,
      providerLabel: this.endpoint.label,
      protocol: preset.protocol,
      url: this.endpoint.url,
      host: this.endpoint.host,
      model: this.endpoint.model,
      stream,
      messages: deepFreeze(messages.map((m) => ({ role: m.role, content: m.content }))),
      body,
      bodyText: JSON.stringify(body),
      headers: Object.freeze(headers),
      authHeader: this.endpoint.keyless
        ? null
        : preset.auth.kind === 'bearer'
          ? 'authorization'
          : preset.auth.kind === 'header'
            ? preset.auth.header
            : null,
    });
    this.#prepared.add(request);
    return request;
  }

  #headersFor(request: PreparedRequest): Record<string, string> {
    if (!this.#prepared.has(request) || new URL(request.url).host !== this.endpoint.host) {
      throw new PetitError(
        'invalid-request',
        `This request was prepared for another provider; it cannot be sent with the key for ${this.label}.`,
      );
    }
    const headers: Record<string, string> = { ...request.headers };
    if (request.stream) headers.accept = 'text/event-stream';
    return this.#withKey(headers);
  }

  #withKey(headers: Record<string, string>): Record<string, string> {
    const auth = this.endpoint.preset.auth;
    if (auth.kind === 'bearer' && auth.optional && !this.#apiKey) return headers;
    if (auth.kind !== 'none' && !this.endpoint.keyless) {
      if (!this.#apiKey) {
        throw new PetitError('remote-auth', `There is no API key for ${this.label}. Add it in Settings.`, {
          details: { provider: this.providerId, host: this.host },
        });
      }
      if (auth.kind === 'bearer') headers.authorization = `Bearer ${this.#apiKey}`;
      else headers[auth.header] = this.#apiKey;
    }
    return headers;
  }

  /**
   * The provider's own model list (OpenAI-compatible `GET …/models` → `{ data: [{ id, shutdown_date? }] }`;
   * Anthropic `GET /v1/models` → `{ data: [{ id, type: 'model' }], has_more, last_id }`, followed page by
   * page), or the preset's dated fallback where the provider has no list endpoint.
   */
  async listModels(options: SendOptions = {}): Promise<ModelList> {
    const { preset } = this.endpoint;
    if (!preset.modelsPath) {
      return { ids: [...preset.models], source: 'preset', checkedOn: PRESET_MODELS_DATE };
    }
    const ctx: FailureContext = { endpoint: this.endpoint, apiKey: this.#apiKey };
    const headers = this.#withKey({ accept: 'application/json', ...preset.headers });
    return fetchModelList(ctx, preset.modelsPath, headers, options.signal);
  }

  /** Sends a non-streaming request and returns the whole answer. */
  async send(request: PreparedRequest, options: SendOptions = {}): Promise<ChatCompletion> {
    if (request.stream)
      throw new PetitError('invalid-request', 'This request was prepared for streaming: use stream().');
    const headers = this.#headersFor(request);
    const ctx: FailureContext = { endpoint: this.endpoint, apiKey: this.#apiKey };
    const t0 = performance.now();
    const { response, watchdog } = await post(ctx, headers, request.bodyText, options.signal);
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw failureFromException(err, watchdog, ctx, true);
    } finally {
      watchdog.dispose();
    }
    const tEnd = performance.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw badResponseError(ctx, 'the body is not JSON', err);
    }
    const parsed = this.#adapter.parseCompletion(json);
    if (!parsed) throw badResponseError(ctx, 'the body has no answer in it');
    return {
      id: parsed.id ?? newId(),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: parsed.model ?? request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: parsed.text },
          finish_reason: parsed.finish,
          logprobs: null,
        },
      ],
      usage: usageOf(parsed, parsed.text, request.messages, t0, tEnd, tEnd),
      inference_source: 'remote',
    };
  }

  /**
   * Streams the answer as chunks. A stream that fails midway throws a PetitError whose `details.partialText`
   * holds the text received so far (remote-stream-dropped, remote-timeout, remote-server-error, aborted).
   */
  async *stream(
    request: PreparedRequest,
    options: SendOptions = {},
  ): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    if (!request.stream)
      throw new PetitError('invalid-request', 'This request was not prepared for streaming: use send().');
    const headers = this.#headersFor(request);
    const ctx: FailureContext = { endpoint: this.endpoint, apiKey: this.#apiKey, partialText: undefined };
    const t0 = performance.now();
    const { response, watchdog } = await post(ctx, headers, request.bodyText, options.signal);
    const state = this.#adapter.newStream();
    const created = Math.floor(Date.now() / 1000);
    let partial = '';
    let first = true;
    let tFirst = t0;
    let done = false;
    const chunk = (content: string | undefined, finish: FinishReason | null): ChatCompletionChunk => {
      const r = state.result();
      const delta: ChatCompletionChunk['choices'][number]['delta'] = {};
      if (first) delta.role = 'assistant';
      if (content !== undefined) delta.content = content;
      first = false;
      return {
        id: r.id ?? 'remote',
        object: 'chat.completion.chunk',
        created,
        model: r.model ?? request.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        inference_source: 'remote',
      };
    };
    if (!response.body) {
      watchdog.dispose();
      throw badResponseError(ctx, 'the stream has no body');
    }
    try {
      for await (const event of parseSse(response.body)) {
        watchdog.kick();
        const step = state.step(event);
        if (step.bad) {
          ctx.partialText = partial;
          throw badResponseError(ctx, step.bad);
        }
        if (step.error) {
          ctx.partialText = partial;
          const status = step.error.rateLimited ? 429 : 503;
          const err = errorFromStatus(
            status,
            new Headers(),
            JSON.stringify({ error: { message: step.error.message } }),
            ctx,
          );
          throw err;
        }
        if (step.text !== undefined) {
          if (partial === '') tFirst = performance.now();
          partial += step.text;
          yield chunk(step.text, null);
        }
        if (step.done) {
          done = true;
          break;
        }
      }
    } catch (err) {
      ctx.partialText = partial;
      throw failureFromException(err, watchdog, ctx, true);
    } finally {
      watchdog.dispose();
    }
    ctx.partialText = partial;
    if (!done) throw droppedError(ctx);
    const r = state.result();
    const final = chunk(undefined, r.finish);
    final.usage = usageOf(r, partial, request.messages, t0, tFirst, performance.now());
    yield final;
  }
}

export function createRemoteClient(settings: ProviderSettings): RemoteClient {
  return new RemoteClient(settings);
}

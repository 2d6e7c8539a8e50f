import type {
  AppConfig,
  ChatCompletionChunk,
  ChatCompletionRequestStreaming,
  InitProgressReport,
  ResponseFormat,
} from '@mlc-ai/web-llm';
import { PetitError } from '../../src/engine/errors.ts';
import type { ChatMessage, FinishReason, TokenLogprob } from '../../src/engine/protocol.ts';
import type { GenerationParams, OutputFormat } from '../../src/engine/validate.ts';
import type {
  Backend,
  BackendLoadRequest,
  GenerationOutcome,
  LoadedModel,
  PrepareHooks,
  TextSink,
} from './backend.ts';
import { StopSequenceMatcher } from './stop-sequences.ts';
import { toWebLlmError } from './webllm-errors.ts';

export { toWebLlmError };

/**
 * web-llm's in-thread MLCEngine inside our own inference worker (DESIGN.md convention 3): one protocol, ours.
 * Only `import type` reaches web-llm at module level; the library itself is imported lazily on the first load,
 * so neither the page nor a worker that never runs web-llm downloads it.
 */

/** The part of web-llm's `MLCEngineInterface` Petit uses (its documented surface, so tests can follow it). */
export interface WebLlmEngine {
  setInitProgressCallback(callback: (report: InitProgressReport) => void): void;
  reload(modelId: string): Promise<void>;
  chat: {
    completions: {
      create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
    };
  };
  interruptGenerate(): void | Promise<void>;
  /** The reply as web-llm keeps it in its conversation (stop string cut off), once a request has ended. */
  getMessage(): Promise<string>;
  /** Forgets the conversation and its KV cache. */
  resetChat(): Promise<void>;
  unload(): Promise<void>;
}

/** Which MLC build to run and where its files live. */
export interface WebLlmTarget {
  /** web-llm's `model_id`. */
  modelId: string;
  /** Base URL of the weight shards and configs, `{hub}/{repo}/resolve/{revision}/`. */
  modelUrl: string;
  /** The compiled model library (`.wasm`). */
  modelLibUrl: string;
  contextWindow: number;
  /** `shader-f16` for f16 builds. */
  requiredFeatures: string[];
  /**
   * web-llm's own overrides for this build (its prebuilt record's), e.g. Mistral's `sliding_window_size: -1`:
   * the model runner refuses a config with both a context and a sliding window, after the whole download.
   */
  overrides?: Record<string, unknown>;
}

export interface WebLlmBackendOptions {
  target: WebLlmTarget;
  /** Puts the target's files in the model store (fetchMlcFiles); `load` then reads them through `openCache`. */
  prepare?: (hooks: PrepareHooks) => Promise<void>;
  /** web-llm's init reports (downloads are reported by `fetch` below; this covers loading onto the GPU). */
  onProgress?: (report: InitProgressReport) => void;
  /**
   * The Cache web-llm should use for a scope (`webllm/config`, `webllm/model`, `webllm/wasm`), or null for its own.
   * web-llm reads artifacts with `cache.match` and downloads them with `cache.add` (lib/cache_util), so answering
   * here routes every model file through the model store: downloads, integrity, quota and deletion as for ONNX.
   */
  openCache?: (scope: string) => Cache | null;
  /** Makes the engine; the default is web-llm's `MLCEngine` (tests pass a fake with the same behaviour). */
  createEngine?: (appConfig: AppConfig) => Promise<WebLlmEngine>;
}

async function createMlcEngine(appConfig: AppConfig): Promise<WebLlmEngine> {
  const { MLCEngine } = await import('@mlc-ai/web-llm');
  return new MLCEngine({ appConfig });
}

export type WebLlmParams = GenerationParams;

/** web-llm's own ResponseFormat: a schema travels as JSON text under `json_object` (its XGrammar compiles it). */
export function webLlmResponseFormat(format: OutputFormat): ResponseFormat {
  return format.type === 'json_schema'
    ? { type: 'json_object', schema: format.schema }
    : { type: 'json_object' };
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'abort') return 'abort';
  return 'stop';
}

/**
 * A conservative token estimate (web-llm keeps its tokenizer private): about 3 ASCII characters per token, and
 * every other character counted at its UTF-8 length, since a byte-level BPE can spend a token per byte on a
 * script it was not trained on (chars/3 undercounts CJK several times over). Over-counting only drops history early.
 */
export function estimateTokens(messages: GenerationParams['messages']): number {
  return messages.reduce((sum, m) => {
    let ascii = 0;
    let bytes = 0;
    for (const ch of m.content) {
      const code = ch.codePointAt(0)!;
      if (code < 0x80) ascii += 1;
      else bytes += code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    }
    return sum + Math.ceil(ascii / 3) + bytes + 8;
  }, 0);
}

function sameMessages(a: readonly ChatMessage[], b: readonly ChatMessage[]): boolean {
  return a.length === b.length && a.every((m, i) => m.role === b[i].role && m.content === b[i].content);
}

/**
 * What web-llm holds after the last request, mirrored here: its conversation (every message it was sent and its
 * own reply, byte for byte) and how many tokens its KV cache holds. web-llm reuses that cache on the next request
 * only if the request's earlier messages equal this conversation and the last reply ended with `stop`
 * (lib/index.js `preparePrefillInput` / `compareConversationObject`); it then prefills only the new round and
 * reports only that round as `prompt_tokens`.
 */
interface HeldConversation {
  messages: ChatMessage[];
  kvTokens: number;
}

export class WebLlmBackend implements Backend {
  readonly name = 'webllm' as const;
  private engine: WebLlmEngine | null = null;
  private interrupted = false;
  private held: HeldConversation | null = null;
  /** `load({ kvCache: false })`: every request is prefilled whole, as web-llm does after resetChat(). */
  private reuseKvCache = true;

  constructor(private readonly options: WebLlmBackendOptions) {}

  async prepare(_request: BackendLoadRequest, hooks: PrepareHooks): Promise<void> {
    await this.options.prepare?.(hooks);
  }

  async load(request: BackendLoadRequest): Promise<LoadedModel> {
    const { target } = this.options;
    this.reuseKvCache = request.kvCache !== false;
    const appConfig: AppConfig = {
      model_list: [
        {
          model: target.modelUrl,
          model_id: target.modelId,
          model_lib: target.modelLibUrl,
          required_features: target.requiredFeatures,
          // Replacing web-llm's own overrides would drop e.g. Mistral's `sliding_window_size: -1`.
          overrides: { ...target.overrides, context_window_size: target.contextWindow },
        },
      ],
    };
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    const open = storage?.open;
    const { openCache } = this.options;
    this.held = null;
    try {
      const engine = await (this.options.createEngine ?? createMlcEngine)(appConfig);
      this.engine = engine;
      engine.setInitProgressCallback((report) => this.options.onProgress?.(report));
      // web-llm opens its caches inside reload(); only its own scopes are redirected, and only meanwhile.
      if (openCache) {
        const hooked = (scope: string) => openCache(scope) ?? open!.call(storage, scope);
        if (storage) storage.open = (scope) => Promise.resolve(hooked(scope));
        else (globalThis as { caches?: unknown }).caches = { open: async (s: string) => hooked(s) };
      }
      await engine.reload(target.modelId);
    } catch (error) {
      throw toWebLlmError(error, 'load');
    } finally {
      if (openCache) {
        if (storage) storage.open = open!;
        else delete (globalThis as { caches?: unknown }).caches;
      }
    }
    return { contextLength: target.contextWindow };
  }

  async countTokens(params: Pick<GenerationParams, 'messages'>): Promise<number> {
    return estimateTokens(params.messages);
  }

  async generate(params: WebLlmParams, sink: TextSink): Promise<GenerationOutcome> {
    const engine = this.engine;
    if (!engine) throw new PetitError('not-loaded', 'No model is loaded. Load a model first.');
    const format = params.responseFormat;
    this.interrupted = false;
    const started = performance.now();
    let firstAt = 0;
    let chunks = 0;
    let rawFinish: string | null = null;
    let usage: ChatCompletionChunk['usage'] | undefined;
    const allLogprobs: TokenLogprob[] = [];
    // web-llm streams the start of a stop string before it knows it is one, then cuts it from its own copy only.
    const matcher = new StopSequenceMatcher(params.stop);
    if (!this.reuseKvCache) {
      this.held = null;
      await engine.resetChat();
    }
    const history = params.messages.slice(0, -1);
    const reuses = this.held !== null && history.length > 0 && sameMessages(history, this.held.messages);
    const kvBefore = reuses ? this.held!.kvTokens : 0;
    const held = this.held;
    this.held = null;
    const request: ChatCompletionRequestStreaming = {
      messages: params.messages.map((m) => ({
        role: m.role,
        content: m.content,
      })) as ChatCompletionRequestStreaming['messages'],
      stream: true,
      stream_options: { include_usage: true },
      temperature: params.temperature,
      top_p: params.topP,
      ...(params.maxTokens !== null ? { max_tokens: params.maxTokens } : {}),
      ...(params.stop.length > 0 ? { stop: params.stop } : {}),
      ...(params.seed !== null ? { seed: params.seed } : {}),
      ...(params.logprobs ? { logprobs: true, top_logprobs: 1 } : {}),
      ...(format ? { response_format: webLlmResponseFormat(format) } : {}),
    };
    try {
      const stream = await engine.chat.completions.create(request);
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta.content ?? '';
        const logprobs =
          choice.logprobs?.content?.map((l) => ({ token: l.token, logprob: l.logprob })) ?? null;
        if (logprobs) allLogprobs.push(...logprobs);
        if (delta || logprobs?.length) {
          if (firstAt === 0) firstAt = performance.now();
          chunks += 1;
          const shown = matcher.push(delta);
          if (shown || logprobs?.length) sink(shown, params.logprobs ? logprobs : null);
        }
        if (choice.finish_reason) rawFinish = choice.finish_reason;
      }
    } catch (error) {
      const mapped = toWebLlmError(error, 'generate');
      // A request web-llm refused up front left its conversation (and KV cache) as it was.
      if (mapped.code === 'invalid-request') this.held = held;
      throw mapped;
    }
    // The reply as web-llm stored it: sent back unchanged next turn, it lets web-llm reuse its KV cache.
    const stored = await Promise.resolve(engine.getMessage()).catch(() => null);
    let text = matcher.text;
    if (stored !== null && stored.startsWith(text)) {
      const rest = stored.slice(text.length);
      if (rest) sink(rest, null);
      text = stored;
    } else {
      const rest = matcher.flush();
      if (rest) sink(rest, null);
      text = matcher.text;
    }
    const reason: FinishReason = this.interrupted ? 'abort' : finishReason(rawFinish);
    const totalMs = performance.now() - started;
    // web-llm counts only what it prefilled this round; the request's prompt also holds what its cache had.
    const prefilledTokens = usage?.prompt_tokens ?? estimateTokens(params.messages);
    const promptTokens = kvBefore + prefilledTokens;
    const completionTokens = usage?.completion_tokens ?? chunks;
    if (rawFinish === 'stop' && !this.interrupted && usage) {
      // The last sampled token (end of turn or the end of a stop string) is never run through the model.
      this.held = {
        messages: [...params.messages, { role: 'assistant', content: text }],
        kvTokens: promptTokens + Math.max(0, completionTokens - 1),
      };
    }
    const extra = usage?.extra;
    const timeToFirstTokenMs = extra
      ? extra.time_to_first_token_s * 1000
      : firstAt
        ? firstAt - started
        : totalMs;
    const prefillMs =
      extra && extra.prefill_tokens_per_s > 0
        ? (prefilledTokens / extra.prefill_tokens_per_s) * 1000
        : timeToFirstTokenMs;
    const decodeMs =
      extra && extra.decode_tokens_per_s > 0
        ? (completionTokens / extra.decode_tokens_per_s) * 1000
        : Math.max(0, totalMs - timeToFirstTokenMs);
    return {
      text,
      finishReason: reason,
      promptTokens,
      prefilledTokens,
      completionTokens,
      timings: { timeToFirstTokenMs, prefillMs, decodeMs, totalMs },
      logprobs: params.logprobs ? allLogprobs : null,
    };
  }

  interrupt(): void {
    this.interrupted = true;
    void Promise.resolve(this.engine?.interruptGenerate()).catch(() => {});
  }

  async unload(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.held = null;
    await engine?.unload();
  }
}

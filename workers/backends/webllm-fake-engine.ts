import type {
  AppConfig,
  ChatCompletionChunk,
  ChatCompletionRequestStreaming,
  InitProgressReport,
} from '@mlc-ai/web-llm';
import type { WebLlmEngine } from './webllm.backend.ts';
import { ArtifactCache, DEVICE_LOST, webLlmError } from './webllm-fake-store.ts';

/** Test support for webllm.backend.test.ts and webllm-answers.test.ts; no product code imports it. */

/**
 * A fake of web-llm 0.2.86's MLCEngine rebuilt from its shipped source (node_modules/@mlc-ai/web-llm/lib/index.js),
 * step for step where Petit's code meets it; it only does no GPU work.
 * - reload() (`MLCEngine.reloadInternal`): config → model library → GPU checks → tokenizer → `tensor-cache.json`
 *   → `keys()` ("is every shard cached?") → four shard loops under one Promise.all → reading each shard back →
 *   the pipeline's window-size check. Every artifact goes through `ArtifactCache` (match → add on a miss → match),
 *   with the reload's AbortSignal on the Request, as web-llm does; an AbortError DOMException ends reload() quietly.
 * - chat (`asyncGenerate`, `preparePrefillInput`, `processNextToken`, `makeStreamDeltaChunk`): its conversation
 *   and KV cache are kept between requests when the earlier messages equal its own copy and the last reply ended
 *   with `stop`; it prefills and reports only the new round then; stop strings are cut from its own copy after
 *   their start was streamed; the context check counts the KV cache too.
 * Its errors carry web-llm's class names and messages (those classes are not exported, so they are rebuilt here).
 */
export interface FakeOptions {
  webgpu?: boolean;
  features?: string[];
  /** Tokens of each answer, in turn (the last one repeats); the end-of-turn token follows them. */
  replies?: string[][];
  /** Throws web-llm's DeviceLostError at the end of reload(), after every file was read. */
  loseDeviceOnLoad?: boolean;
  /** Throws web-llm's DeviceLostError after this many tokens of an answer. */
  loseDeviceAfter?: number;
  /** web-llm's tokenizer, as a token count. */
  countTokens?: (text: string) => number;
}

type ConvMessage = [role: 'user' | 'assistant', content: string];
interface Conversation {
  system: string | undefined;
  messages: ConvMessage[];
}

const byteTokens = (text: string) => Math.ceil(new TextEncoder().encode(text).length / 4);

export class FakeMlcEngine implements WebLlmEngine {
  progress?: (report: InitProgressReport) => void;
  requests: ChatCompletionRequestStreaming[] = [];
  reloads = 0;
  loaded: string | null = null;
  config: Record<string, unknown> = {};
  unloaded = 0;
  /** What the last prefill did: KV tokens before it, tokens it ran, whether it reused the KV cache. */
  lastPrefill: { kvBefore: number; prefilled: number; reused: boolean } | null = null;
  private reloadController?: AbortController;
  private interruptSignal = false;
  private conv: Conversation = { system: undefined, messages: [] };
  private kv = 0;
  private finish: 'stop' | 'length' | 'abort' | null = null;
  private outputMessage = '';
  private answered = 0;

  constructor(
    readonly appConfig: AppConfig,
    private readonly options: FakeOptions = {},
  ) {}

  setInitProgressCallback(callback: (report: InitProgressReport) => void): void {
    this.progress = callback;
  }

  private report(progress: number, text: string): void {
    this.progress?.({ progress, timeElapsed: 0, text });
  }

  async reload(modelId: string): Promise<void> {
    await this.unload();
    this.reloads += 1;
    this.reloadController = new AbortController();
    try {
      await this.reloadInternal(modelId, this.reloadController.signal);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      throw error;
    } finally {
      this.reloadController = undefined;
    }
  }

  private async reloadInternal(modelId: string, signal: AbortSignal): Promise<void> {
    const record = this.appConfig.model_list.find((m) => m.model_id === modelId);
    if (!record)
      throw webLlmError('ModelNotFoundError', `Cannot find model record in appConfig for ${modelId}`);
    const modelUrl = record.model;
    const configCache = new ArtifactCache('webllm/config');
    const configData = await configCache.fetchWithCache(
      new URL('mlc-chat-config.json', modelUrl).href,
      signal,
    );
    const config = { ...(await configData.json()), ...record.overrides } as Record<string, unknown>;
    const wasmCache = new ArtifactCache('webllm/wasm');
    const wasm = await (await wasmCache.fetchWithCache(record.model_lib, signal)).arrayBuffer();
    if (new TextDecoder().decode(wasm.slice(0, 4)) !== '\0asm') {
      throw new WebAssembly.CompileError('WebAssembly.instantiate(): expected magic word 00 61 73 6d');
    }
    if (this.options.webgpu === false) {
      throw webLlmError(
        'WebGPUNotAvailableError',
        'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine.',
      );
    }
    for (const feature of record.required_features ?? []) {
      if (!(this.options.features ?? []).includes(feature)) {
        throw webLlmError('ShaderF16SupportError', 'This model requires WebGPU extension shader-f16.');
      }
    }
    // asyncLoadTokenizer: no signal.
    const modelCache = new ArtifactCache('webllm/model');
    await modelCache.fetchWithCache(new URL('tokenizer.json', modelUrl).href);
    // Instance.fetchTensorCache → fetchTensorCacheInternal.
    const list = (
      (await (
        await modelCache.fetchWithCache(new URL('tensor-cache.json', modelUrl).href, signal)
      ).json()) as { records: { dataPath: string; nbytes: number }[] }
    ).records;
    const urls = list.map((r) => new URL(r.dataPath, modelUrl).href);
    const cacheOnly = await modelCache.hasAllKeys(urls);
    let fetched = 0;
    this.report(0, 'Start to fetch params');
    const downloadCache = async (start: number, end: number) => {
      for (let i = start; i < end; i++) {
        await modelCache.addToCache(urls[i], signal);
        this.report(++fetched / list.length, `Fetching param cache[${fetched}/${list.length}]`);
      }
    };
    if (!cacheOnly) {
      const loopSize = Math.floor(list.length / 4);
      await Promise.all([
        downloadCache(0, loopSize),
        downloadCache(loopSize, 2 * loopSize),
        downloadCache(2 * loopSize, 3 * loopSize),
        downloadCache(3 * loopSize, list.length),
      ]);
    }
    for (let i = 0; i < list.length; i++) {
      await modelCache.fetchWithCache(urls[i]);
      this.report((i + 1) / list.length, `Loading model from cache[${i + 1}/${list.length}]`);
    }
    // new LLMChatPipeline(): step 5 of its constructor.
    const contextWindow = config.context_window_size as number;
    const slidingWindow = config.sliding_window_size as number;
    if (contextWindow !== -1 && slidingWindow !== -1) {
      throw webLlmError(
        'WindowSizeConfigurationError',
        `Only one of context_window_size and sliding_window_size can be positive. Got: context_window_size: ${contextWindow}, sliding_window_size: ${slidingWindow}`,
      );
    }
    if (this.options.loseDeviceOnLoad) throw webLlmError('DeviceLostError', DEVICE_LOST);
    this.report(1, 'Finish loading on WebGPU - swiftshader');
    this.config = config;
    this.loaded = modelId;
  }

  chat = {
    completions: {
      create: async (request: ChatCompletionRequestStreaming) => {
        if (!this.loaded) {
          throw webLlmError(
            'ModelNotLoadedError',
            'Model not loaded before trying to complete ChatCompletionRequest.',
          );
        }
        this.requests.push(request);
        return this.asyncGenerate(request);
      },
    },
  };

  /** getConversationFromChatCompletionRequest: every message but the last, which is checked first. */
  private conversationOf(messages: ChatCompletionRequestStreaming['messages']): Conversation {
    const last = messages[messages.length - 1];
    if (last.role !== 'user' && last.role !== 'tool') {
      throw webLlmError('MessageOrderError', 'The last message should be from the `user` or `tool`.');
    }
    const conv: Conversation = { system: undefined, messages: [] };
    messages.slice(0, -1).forEach((m, i) => {
      if (m.role === 'system') {
        if (i !== 0)
          throw webLlmError(
            'SystemMessageOrderError',
            'System prompt should always be the first message in `messages`.',
          );
        conv.system = m.content;
      } else conv.messages.push([m.role as ConvMessage[0], m.content as string]);
    });
    return conv;
  }

  private template(conv: Conversation, last: string): string {
    const system = conv.system ?? 'You are a helpful AI assistant.';
    const turns = conv.messages.map(([role, content]) => `<|im_start|>${role}\n${content}<|im_end|>\n`);
    return `<|im_start|>system\n${system}<|im_end|>\n${turns.join('')}<|im_start|>user\n${last}<|im_end|>\n<|im_start|>assistant\n`;
  }

  private async *asyncGenerate(request: ChatCompletionRequestStreaming): AsyncGenerator<ChatCompletionChunk> {
    this.interruptSignal = false;
    const count = this.options.countTokens ?? byteTokens;
    // preparePrefillInput
    const next = this.conversationOf(request.messages);
    const same =
      next.system === this.conv.system &&
      next.messages.length === this.conv.messages.length &&
      next.messages.every(([r, c], i) => r === this.conv.messages[i][0] && c === this.conv.messages[i][1]);
    const reused = this.finish === 'stop' && same && next.messages.length > 0;
    if (!reused) {
      this.kv = 0;
      this.conv = next;
    }
    // forwardPrefill → getInputData: the whole prompt, or only the last round when the KV cache is kept.
    const last = request.messages[request.messages.length - 1].content as string;
    const prompt = reused
      ? `<|im_end|>\n<|im_start|>user\n${last}<|im_end|>\n<|im_start|>assistant\n`
      : this.template(this.conv, last);
    const promptTokens = count(prompt);
    const contextWindow = this.config.context_window_size as number;
    if (promptTokens + this.kv > contextWindow) {
      throw webLlmError(
        'ContextWindowSizeExceededError',
        `Prompt tokens exceed context window size: number of prompt tokens: ${promptTokens}; context window size: ${contextWindow}\nConsider shortening the prompt, or increase \`context_window_size\`, or using sliding window via \`sliding_window_size\`.`,
      );
    }
    this.conv.messages.push(['user', last]);
    this.lastPrefill = { kvBefore: this.kv, prefilled: promptTokens, reused };
    this.kv += promptTokens;
    const replies = this.options.replies ?? [['Hel', 'lo', ' there', '!']];
    const tokens = replies[Math.min(this.answered, replies.length - 1)];
    this.answered += 1;
    const stopStrs = ['<|im_end|>', ...(request.stop ? [request.stop].flat() : [])];
    const outputIds: string[] = [];
    let sampled = '';
    let stopped = false;
    let completion = 0;
    this.finish = null;
    this.outputMessage = '';
    const finishReply = (reason: 'stop' | 'length' | 'abort') => {
      stopped = true;
      this.finish = reason;
      this.conv.messages.push(['assistant', this.outputMessage]);
    };
    // processNextToken
    const sample = () => {
      completion += 1;
      const token = tokens[outputIds.length];
      sampled = token ?? '<|im_end|>';
      if (token === undefined) return finishReply('stop'); // the end-of-turn token
      outputIds.push(token);
      const message = outputIds.join('');
      for (const stop of stopStrs) {
        const at = message.lastIndexOf(stop);
        if (at !== -1) {
          this.outputMessage = message.slice(0, at);
          return finishReply('stop');
        }
      }
      this.outputMessage = message;
      if (request.max_tokens != null && outputIds.length >= request.max_tokens) finishReply('length');
    };
    let prevLength = 0;
    const deltaChunk = (): ChatCompletionChunk => {
      const delta = this.outputMessage.slice(prevLength);
      prevLength = this.outputMessage.length;
      return {
        id: 'chatcmpl-1',
        created: 0,
        model: this.loaded!,
        object: 'chat.completion.chunk',
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: delta },
            finish_reason: null,
            logprobs: request.logprobs
              ? { content: [{ token: sampled, logprob: -0.5, bytes: null, top_logprobs: [] }] }
              : null,
          },
        ],
      } as ChatCompletionChunk;
    };
    try {
      sample();
      yield deltaChunk();
      while (!stopped) {
        if (this.interruptSignal) {
          finishReply('abort');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (this.options.loseDeviceAfter !== undefined && outputIds.length === this.options.loseDeviceAfter) {
          throw webLlmError('DeviceLostError', DEVICE_LOST);
        }
        this.kv += 1; // decode runs the previous token through the model
        sample();
        yield deltaChunk();
      }
    } finally {
      if (!stopped) finishReply('abort');
    }
    const base = {
      id: 'chatcmpl-1',
      created: 0,
      model: this.loaded!,
      object: 'chat.completion.chunk' as const,
    };
    yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: this.finish }] } as ChatCompletionChunk;
    if (request.stream_options?.include_usage) {
      yield {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completion,
          total_tokens: promptTokens + completion,
          extra: {
            e2e_latency_s: 0.5,
            prefill_tokens_per_s: promptTokens / 0.1,
            decode_tokens_per_s: 40,
            time_to_first_token_s: 0.1,
            time_per_output_token_s: 0.025,
          },
        },
      } as ChatCompletionChunk;
    }
  }

  async getMessage(): Promise<string> {
    return this.outputMessage;
  }

  async resetChat(): Promise<void> {
    this.conv = { system: undefined, messages: [] };
    this.kv = 0;
    this.finish = null;
  }

  interruptGenerate(): void {
    this.interruptSignal = true;
  }

  async unload(): Promise<void> {
    this.unloaded += 1;
    this.loaded = null;
    this.conv = { system: undefined, messages: [] };
    this.kv = 0;
    this.finish = null;
    if (this.reloadController) {
      this.reloadController.abort('Engine.unload() is called.');
      this.reloadController = undefined;
    }
  }
}

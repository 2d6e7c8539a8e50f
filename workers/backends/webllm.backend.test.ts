import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AppConfig,
  ChatCompletionChunk,
  ChatCompletionRequestStreaming,
  InitProgressReport,
} from '@mlc-ai/web-llm';
import { modelVersion, prebuiltAppConfig } from '@mlc-ai/web-llm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PetitError, abortError, isPetitError } from '../../src/engine/errors.ts';
import type { ChatMessage } from '../../src/engine/protocol.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import { BUILTIN_CATALOG, type MlcBuild } from '../../src/models/catalog.ts';
import { hubErrorFor, modelPrefix, type DownloadOptions, type ModelStore } from '../../src/models/store.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { writeMlcModel, writeModelLibrary } from '../../tools/hub/mlc-model-writer.ts';
import { estimateTokens, WebLlmBackend, type WebLlmEngine, type WebLlmTarget } from './webllm.backend.ts';
import { startWebLlm } from './webllm-runtime.ts';
import { storeCache } from './webllm-store-cache.ts';

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
function webLlmError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const DEVICE_LOST =
  'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.';

/** lib/index.js `ArtifactCache` (the default "cache" backend). */
class ArtifactCache {
  private cache?: Cache;
  constructor(private readonly scope: string) {}

  private async open(): Promise<Cache> {
    this.cache ??= await caches.open(this.scope);
    return this.cache;
  }

  async addToCache(url: string, signal?: AbortSignal): Promise<void> {
    const request = new Request(url, signal ? { signal } : undefined);
    const cache = await this.open();
    if ((await cache.match(request)) === undefined) await cache.add(request);
  }

  async fetchWithCache(url: string, signal?: AbortSignal): Promise<Response> {
    await this.addToCache(url, signal);
    const result = await (await this.open()).match(new Request(url));
    if (result === undefined) throw Error('Cannot fetch ' + url);
    return result;
  }

  async hasAllKeys(keys: string[]): Promise<boolean> {
    const cache = await this.open();
    return cache
      .keys()
      .then((requests) => requests.map((r) => r.url))
      .then((cached) => keys.every((k) => cached.includes(k)))
      .catch(() => false);
  }
}

interface FakeOptions {
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

class FakeMlcEngine implements WebLlmEngine {
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

/** The model store's surface web-llm's cache reaches: complete files by URL, downloaded over HTTP on a miss. */
function memoryStore() {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const kept: { dtype: string; files: string[] }[] = [];
  let inFlight = 0;
  const store = {
    files,
    kept,
    get inFlight() {
      return inFlight;
    },
    async match(url: string) {
      const bytes = files.get(url);
      return bytes ? new Response(bytes) : undefined;
    },
    async fetchFile(url: string, options: DownloadOptions = {}) {
      if (files.has(url)) return { url, size: files.get(url)!.length, fromCache: true };
      const { signal } = options;
      inFlight += 1;
      try {
        let response: Response;
        try {
          response = await fetch(url, { signal });
        } catch (error) {
          if (signal?.aborted) throw abortError('The download was cancelled.');
          throw new PetitError('hub-unreachable', `The hub cannot be reached (${String(error)}).`);
        }
        if (!response.ok) throw hubErrorFor(response.status, url);
        const parts: Uint8Array[] = [];
        try {
          const reader = response.body!.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parts.push(value);
          }
        } catch (error) {
          if (signal?.aborted) throw abortError('The download was cancelled.');
          throw new PetitError('download-failed', `The connection dropped while downloading ${url}.`, {
            cause: error,
          });
        }
        const bytes = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
        files.set(url, bytes);
        return { url, size: bytes.length, fromCache: false };
      } finally {
        inFlight -= 1;
      }
    },
    async delete(url: string) {
      return files.delete(url);
    },
    async keep(_model: unknown, dtype: string, urls: string[]) {
      kept.push({ dtype, files: urls });
    },
  };
  return store;
}

const smolBuild = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!.mlc.find(
  (b) => b.quantization === 'q0f32',
)!;
const mistralBuild = BUILTIN_CATALOG.find((e) => e.id === 'mistral-7b-instruct-v0.3')!.mlc.find(
  (b) => b.quantization === 'q4f16_1',
)!;
const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

let root: string;
let hub: Hub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'petit-webllm-'));
  writeMlcModel(root, { repo: smolBuild.repo, shards: 8 });
  writeModelLibrary(root, modelVersion, smolBuild.modelLib, WASM);
  // Mistral 7B's own config uses a sliding window; web-llm's prebuilt record turns it off.
  writeMlcModel(root, {
    repo: mistralBuild.repo,
    shards: 4,
    config: { context_window_size: -1, sliding_window_size: 4096, attention_sink_size: 0 },
  });
  writeModelLibrary(root, modelVersion, mistralBuild.modelLib, WASM);
  writeModelLibrary(root, modelVersion, 'bad-webgpu.wasm', new TextEncoder().encode('<html>not a library'));
  hub = await startHub({ root });
});

afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  hub.faults.clear();
  hub.requests.reset();
});

const libUrl = (lib: string) =>
  `${hub.url}/mlc-ai/binary-mlc-llm-libs/resolve/main/web-llm-models/${modelVersion}/${lib}`;

function target(build: MlcBuild = smolBuild, lib = build.modelLib): WebLlmTarget {
  const prebuilt = prebuiltAppConfig.model_list.find((m) => m.model_id === build.modelId);
  return {
    modelId: build.modelId,
    modelUrl: modelPrefix(hub.url, build.repo, 'main'),
    modelLibUrl: libUrl(lib),
    contextWindow: build.contextWindow,
    requiredFeatures: build.shaderF16 ? ['shader-f16'] : [],
    overrides: { ...prebuilt?.overrides },
  };
}

const LOAD = {
  repo: 'r',
  revision: 'main',
  hubUrl: '',
  dtype: 'fp32',
  device: 'webgpu',
  threads: 1,
} as const;

function params(over: Partial<GenerationParams> = {}): GenerationParams {
  return {
    messages: [{ role: 'user', content: 'Hi' }],
    maxTokens: null,
    temperature: 0,
    topP: 1,
    stop: [],
    seed: null,
    logprobs: false,
    ...over,
  };
}

async function loaded(options: FakeOptions = {}, over: Partial<WebLlmTarget> = {}) {
  const store = memoryStore();
  let engine: FakeMlcEngine | null = null;
  const reports: InitProgressReport[] = [];
  const backend = new WebLlmBackend({
    target: { ...target(), ...over },
    openCache: (scope) =>
      scope.startsWith('webllm/')
        ? storeCache(store as unknown as ModelStore, { signal: new AbortController().signal })
        : null,
    onProgress: (r) => reports.push(r),
    createEngine: async (appConfig) => (engine = new FakeMlcEngine(appConfig, options)),
  });
  const failure = await backend.load(LOAD).then(
    () => null,
    (e: PetitError) => e,
  );
  return { backend, engine: engine!, store, reports, failure };
}

/** Streams one answer, returning what the user saw (the deltas) next to the outcome. */
async function answer(backend: WebLlmBackend, p: GenerationParams) {
  const deltas: string[] = [];
  const outcome = await backend.generate(p, (d) => {
    if (d) deltas.push(d);
  });
  return { deltas, shown: deltas.join(''), outcome };
}

const fileOf = (url: string) => url.split('/').pop();

describe('WebLlmBackend against web-llm’s loading sequence', () => {
  it('reads config, library, tokenizer, tensor-cache.json, then the shards, all through the model store', async () => {
    const { backend, store, reports, failure } = await loaded();
    expect(failure).toBeNull();
    const order = hub.requests.entries().map((e) => e.file!.split('/').pop());
    expect(order.slice(0, 4)).toEqual([
      'mlc-chat-config.json',
      smolBuild.modelLib,
      'tokenizer.json',
      'tensor-cache.json',
    ]);
    expect(order.slice(4).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `params_shard_${i}.bin`));
    expect(store.files.size).toBe(12);
    expect(reports.map((r) => r.text)).toEqual(
      expect.arrayContaining(['Start to fetch params', 'Finish loading on WebGPU - swiftshader']),
    );
    // The hook lives only during reload(): web-llm's scopes are not redirected afterwards.
    expect((globalThis as { caches?: unknown }).caches).toBeUndefined();
    // A second load reads the store back: no request reaches the hub.
    hub.requests.reset();
    const again = new WebLlmBackend({
      target: target(),
      openCache: () => storeCache(store as unknown as ModelStore, { signal: new AbortController().signal }),
      createEngine: async (appConfig) => new FakeMlcEngine(appConfig),
    });
    await again.load(LOAD);
    expect(hub.requests.count()).toBe(0);
    await backend.unload();
  });

  it('merges web-llm’s own overrides: Mistral 7B (sliding window off) loads after its download', async () => {
    expect(
      prebuiltAppConfig.model_list.find((m) => m.model_id === mistralBuild.modelId)?.overrides,
    ).toMatchObject({ sliding_window_size: -1 });
    const { engine, failure } = await loaded({ features: ['shader-f16'] }, target(mistralBuild));
    expect(failure).toBeNull();
    expect(engine.config).toMatchObject({
      context_window_size: mistralBuild.contextWindow,
      sliding_window_size: -1,
    });
  });

  it('a shard that fails mid-way stops the other loops: no download is left running when load() fails', async () => {
    // Loops of two shards each: shard 0 is cut, the first shard of every other loop hangs until cancelled.
    hub.faults.add({ match: `${smolBuild.repo}/params_shard_0.bin`, cutAfterBytes: 1000 });
    for (const i of [2, 4, 6])
      hub.faults.add({ match: `${smolBuild.repo}/params_shard_${i}.bin`, stallAfterBytes: 100 });
    const store = memoryStore();
    let inFlightAtFailure = -1;
    const error = await startWebLlm(store as unknown as ModelStore, smolBuild, hub.url, {
      signal: new AbortController().signal,
      onFile: () => {},
      onProgress: () => {},
      onDone: () => {},
      onCompile: () => {},
      createEngine: async (appConfig) => new FakeMlcEngine(appConfig),
    }).then(
      () => null,
      (e: PetitError) => {
        inFlightAtFailure = store.inFlight;
        return e;
      },
    );
    expect(error?.code).toBe('download-failed');
    expect(error?.message).toMatch(/connection dropped/);
    expect(inFlightAtFailure).toBe(0);
    // The loops ended at their first shard: the second shard of each was never asked for.
    for (const i of [1, 3, 5, 7])
      expect(hub.requests.count(`${smolBuild.repo}/params_shard_${i}.bin`)).toBe(0);
    expect(store.kept).toEqual([]);
  });

  it('honours the request’s signal: unloading web-llm mid-download stops its downloads', async () => {
    for (const i of [0, 2, 4, 6])
      hub.faults.add({ match: `${smolBuild.repo}/params_shard_${i}.bin`, stallAfterBytes: 100 });
    const store = memoryStore();
    let engine: FakeMlcEngine | null = null;
    let inFlightAtFailure = -1;
    const error = await startWebLlm(store as unknown as ModelStore, smolBuild, hub.url, {
      signal: new AbortController().signal,
      onFile: (path) => {
        if (path === 'params_shard_6.bin') setTimeout(() => void engine!.unload(), 20);
      },
      onProgress: () => {},
      onDone: () => {},
      onCompile: () => {},
      createEngine: async (appConfig) => (engine = new FakeMlcEngine(appConfig)),
    }).then(
      () => null,
      (e: PetitError) => {
        inFlightAtFailure = store.inFlight;
        return e;
      },
    );
    expect(error?.code).toBe('aborted');
    expect(inFlightAtFailure).toBe(0);
  });

  it('a load that failed after its downloads records every file on the next load, read from the store alone', async () => {
    const store = memoryStore();
    const hooks = (options: FakeOptions) => ({
      signal: new AbortController().signal,
      onFile: () => {},
      onProgress: () => {},
      onDone: () => {},
      onCompile: () => {},
      createEngine: async (appConfig: AppConfig) => new FakeMlcEngine(appConfig, options),
    });
    const first = await startWebLlm(
      store as unknown as ModelStore,
      smolBuild,
      hub.url,
      hooks({ loseDeviceOnLoad: true }),
    ).catch((e: PetitError) => e);
    expect(isPetitError(first, 'out-of-memory')).toBe(true);
    expect(store.kept).toEqual([]);
    hub.requests.reset();
    await startWebLlm(store as unknown as ModelStore, smolBuild, hub.url, hooks({}));
    expect(hub.requests.count()).toBe(0);
    expect(store.kept).toHaveLength(1);
    expect(store.kept[0].dtype).toBe('q0f32');
    // Every file of the model, and its library (outside the model's prefix), so it is listed and deleted with it.
    expect(store.kept[0].files.map(fileOf).sort()).toEqual(
      [
        'mlc-chat-config.json',
        'tokenizer.json',
        'tensor-cache.json',
        smolBuild.modelLib,
        ...Array.from({ length: 8 }, (_, i) => `params_shard_${i}.bin`),
      ].sort(),
    );
    expect(store.kept[0].files).toContain(libUrl(smolBuild.modelLib));
  });
});

describe('answers', () => {
  it('streams deltas and reports usage and timings from the last chunk', async () => {
    const { backend, engine } = await loaded();
    const { deltas, outcome } = await answer(backend, params({ maxTokens: 3 }));
    expect(deltas).toEqual(['Hel', 'lo', ' there']);
    expect(outcome.text).toBe('Hello there');
    expect(outcome.finishReason).toBe('length');
    expect(outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
    expect(outcome.completionTokens).toBe(3);
    expect(outcome.timings.timeToFirstTokenMs).toBeCloseTo(100);
    expect(outcome.timings.prefillMs).toBeCloseTo(100);
    expect(outcome.timings.decodeMs).toBeCloseTo(75);
    const request = engine.requests[0];
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
    expect(request.max_tokens).toBe(3);
    expect(request.logprobs).toBeUndefined();
  });

  it('passes logprobs and JSON mode through the OpenAI-style request', async () => {
    const { backend, engine } = await loaded();
    const got: (number | undefined)[] = [];
    const outcome = await backend.generate(
      { ...params({ logprobs: true }), responseFormat: 'json_object' },
      (_d, lp) => got.push(lp?.[0]?.logprob),
    );
    expect(engine.requests[0].response_format).toEqual({ type: 'json_object' });
    expect(engine.requests[0].top_logprobs).toBe(1);
    // One per sampled token, the end-of-turn token included (web-llm's tokenLogprobArray).
    expect(got).toEqual([-0.5, -0.5, -0.5, -0.5, -0.5]);
    expect(outcome.logprobs?.map((l) => l.token)).toEqual(['Hel', 'lo', ' there', '!', '<|im_end|>']);
    expect(outcome.text).toBe('Hello there!');
  });

  it('refuses a response_format web-llm would run unconstrained (json_schema) before it reaches web-llm', async () => {
    const { backend, engine } = await loaded();
    const error = await backend
      .generate({ ...params(), responseFormat: 'json_schema' } as unknown as GenerationParams, () => {})
      .catch((e: unknown) => e);
    expect(isPetitError(error, 'invalid-request')).toBe(true);
    expect((error as PetitError).message).toMatch(/json_schema/);
    expect(engine.requests).toHaveLength(0);
  });

  it('interrupt() ends the answer with finish_reason abort and keeps the model loaded', async () => {
    const { backend } = await loaded();
    const deltas: string[] = [];
    const outcome = await backend.generate(params(), (d) => {
      deltas.push(d);
      if (deltas.length === 2) backend.interrupt();
    });
    expect(outcome.finishReason).toBe('abort');
    expect(outcome.text).toBe('Hello');
    const next = await backend.generate(params(), () => {});
    expect(next.text).toBe('Hello there!');
    expect(next.finishReason).toBe('stop');
  });

  it('unload() frees the engine; generating afterwards is a not-loaded error', async () => {
    const { backend, engine } = await loaded();
    await backend.unload();
    expect(engine.unloaded).toBeGreaterThan(1);
    const error = await backend.generate(params(), () => {}).catch((e: unknown) => e);
    expect(isPetitError(error, 'not-loaded')).toBe(true);
  });
});

describe('stop strings: never shown in part, and the reply kept as web-llm keeps it', () => {
  it('the start of a stop string web-llm streams never reaches the user', async () => {
    const { backend } = await loaded({ replies: [['Hel', 'lo', ' E', 'N', 'D', ' more']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['END'] }));
    expect(shown).toBe('Hello ');
    expect(outcome.text).toBe('Hello ');
    expect(outcome.finishReason).toBe('stop');
  });

  it('a stop string completed by a later token: the held newline is not released', async () => {
    const { backend, engine } = await loaded({ replies: [['Hi.', '\n', '\nMore']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['\n\n'] }));
    expect(shown).toBe('Hi.');
    expect(outcome.text).toBe(await engine.getMessage());
  });

  it('text held as a possible stop string is released when the answer ends otherwise', async () => {
    const { backend } = await loaded({ replies: [['Hello', ' E']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['END'] }));
    expect(shown).toBe('Hello E');
    expect(outcome.text).toBe('Hello E');
  });
});

describe('web-llm’s KV cache across turns', () => {
  const turn = (history: ChatMessage[], content: string, over: Partial<GenerationParams> = {}) =>
    params({ messages: [...history, { role: 'user', content }], ...over });

  it('the reply sent back is byte-identical to web-llm’s, so it reuses its cache (also after a stop string)', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hel', 'lo', ' E', 'N', 'D'],
        ['Sure', '.'],
      ],
    });
    const system: ChatMessage = { role: 'system', content: 'Be brief.' };
    const first = await answer(backend, turn([system], 'Hi', { stop: ['END'] }));
    expect(first.outcome.text).toBe(await engine.getMessage());
    // The app stores what the user saw and sends it back.
    const history: ChatMessage[] = [
      system,
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.shown },
    ];
    await answer(backend, turn(history, 'Again?', { stop: ['END'] }));
    expect(engine.lastPrefill?.reused).toBe(true);
  });

  it('prompt_tokens covers the whole request when web-llm prefilled only the new round', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hello', ' there', '!'],
        ['Fine', '.'],
      ],
    });
    const first = await answer(backend, turn([], 'Hi'));
    expect(first.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'How are you doing today, in a few words?'));
    const { kvBefore, prefilled, reused } = engine.lastPrefill!;
    expect(reused).toBe(true);
    expect(kvBefore).toBeGreaterThan(0);
    expect(second.outcome.promptTokens).toBe(kvBefore + prefilled);
    expect(second.outcome.prefilledTokens).toBe(prefilled);
    // Prefill speed stays web-llm's: the tokens it ran over the time it took.
    expect(second.outcome.timings.prefillMs).toBeCloseTo(100);
  });

  it('load({ kvCache: false }): web-llm forgets its conversation before every request', async () => {
    const store = memoryStore();
    let engine: FakeMlcEngine | null = null;
    const backend = new WebLlmBackend({
      target: target(),
      openCache: () => storeCache(store as unknown as ModelStore, { signal: new AbortController().signal }),
      createEngine: async (appConfig) => (engine = new FakeMlcEngine(appConfig)),
    });
    await backend.load({ ...LOAD, kvCache: false });
    const first = await answer(backend, turn([], 'Hi'));
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'Again?'));
    expect(engine!.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine!.lastPrefill!.prefilled);
    expect(second.outcome.text).toBe('Hello there!');
  });

  it('an edited history: web-llm starts over, and prompt_tokens is its full count', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hello', '!'],
        ['Yes', '.'],
      ],
    });
    const first = await answer(backend, turn([], 'Hi'));
    const edited: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: `${first.outcome.text} ` },
    ];
    const second = await answer(backend, turn(edited, 'And?'));
    expect(engine.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
  });

  it('after an interrupted or cut answer web-llm starts over, and so does the count', async () => {
    const { backend, engine } = await loaded({ replies: [['Hello', ' there', '!'], ['Ok']] });
    const first = await answer(backend, turn([], 'Hi', { maxTokens: 2 }));
    expect(first.outcome.finishReason).toBe('length');
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'More'));
    expect(engine.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
  });
});

describe('web-llm failures become typed errors', () => {
  it('no WebGPU: webgpu-unavailable', async () => {
    const { failure } = await loaded({ webgpu: false });
    expect(failure?.code).toBe('webgpu-unavailable');
    expect(failure?.details).toMatchObject({ backend: 'webllm' });
  });

  it('a model library that fails to instantiate: backend-unavailable', async () => {
    const { failure } = await loaded({}, { modelLibUrl: libUrl('bad-webgpu.wasm') });
    expect(failure?.code).toBe('backend-unavailable');
    expect(failure?.message).toMatch(/model library/);
  });

  it('a model library the hub does not have: the store’s model-not-found passes through', async () => {
    const { failure } = await loaded({}, { modelLibUrl: libUrl('missing-webgpu.wasm') });
    expect(failure?.code).toBe('model-not-found');
  });

  it('the device lost while loading (OOM): out-of-memory', async () => {
    const { failure } = await loaded({ loseDeviceOnLoad: true });
    expect(failure?.code).toBe('out-of-memory');
  });

  it('the device lost mid-answer: backend-error (the engine replaces the worker on it)', async () => {
    const { backend } = await loaded({ loseDeviceAfter: 2 });
    const deltas: string[] = [];
    const error = await backend.generate(params(), (d) => deltas.push(d)).catch((e: PetitError) => e);
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(isPetitError(error, 'backend-error')).toBe(true);
    expect((error as PetitError).message).toMatch(/GPU device was lost/);
  });

  it.each([
    ['the last message is not from the user', [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]],
    ['a system message that is not first', [{ role: 'user', content: 'Hi' }, { role: 'system', content: 'x' }, { role: 'user', content: 'Go' }]],
  ] as [string, ChatMessage[]][])('%s: invalid-request, and the model stays loaded', async (_, messages) => {
    const { backend, engine } = await loaded();
    const error = await backend.generate(params({ messages }), () => {}).catch((e: unknown) => e);
    expect(isPetitError(error, 'invalid-request')).toBe(true);
    const next = await backend.generate(params(), () => {});
    expect(next.text).toBe('Hello there!');
    expect(engine.reloads).toBe(1);
  }); // prettier-ignore

  it('a prompt over the context: context-length-exceeded, and the model stays loaded', async () => {
    const { backend, engine } = await loaded();
    const long = 'word '.repeat(smolBuild.contextWindow * 2);
    const error = await backend
      .generate(params({ messages: [{ role: 'user', content: long }] }), () => {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'context-length-exceeded' });
    expect((error as PetitError).message).toMatch(/context/);
    expect((await backend.generate(params(), () => {})).text).toBe('Hello there!');
    expect(engine.reloads).toBe(1);
  });
});

const SMOLLM_TOKENIZER = join(process.cwd(), '../shared/fixtures/tokenizers/smollm');

describe('the token estimate web-llm’s context is fitted with', () => {
  it('never undercounts SmolLM2’s tokenizer, in English or in CJK and other scripts', async () => {
    if (!existsSync(join(SMOLLM_TOKENIZER, 'tokenizer.json'))) {
      console.warn(
        'webllm.backend.test.ts: tokenizer check skipped, ../shared/fixtures/tokenizers/smollm is absent',
      );
      return;
    }
    const { PreTrainedTokenizer } = await import('@huggingface/transformers');
    const read = (f: string) => JSON.parse(readFileSync(join(SMOLLM_TOKENIZER, f), 'utf8')) as object;
    const tokenizer = new PreTrainedTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
    const texts = [
      'The quick brown fox jumps over the lazy dog, and then it runs away quickly.',
      '東京は日本の首都です。人口は約1400万人で、世界最大の都市圏の一つです。',
      '北京是中华人民共和国的首都，也是全国的政治、文化中心。',
      '안녕하세요, 오늘 날씨가 정말 좋네요. 산책하러 갈까요?',
      'Привет! Как дела? Сегодня хорошая погода для прогулки.',
      'مرحبا، كيف حالك اليوم؟ الطقس جميل جدا.',
      '🙂🎉 emoji and ünïcödé mixed with ASCII 12345',
    ];
    for (const text of texts) {
      const real = tokenizer.encode(text, { add_special_tokens: false }).length;
      // The estimate adds 8 tokens of chat template per message; compare the text alone.
      expect(estimateTokens([{ role: 'user', content: text }]) - 8, text).toBeGreaterThanOrEqual(real);
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  AppConfig,
  ChatCompletionChunk,
  ChatCompletionRequestStreaming,
  InitProgressReport,
} from '@mlc-ai/web-llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPetitError, type PetitError } from '../../src/engine/errors.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import type { ModelStore } from '../../src/models/store.ts';
import { WebLlmBackend, type WebLlmEngine, type WebLlmTarget } from './webllm.backend.ts';
import { storeCache } from './webllm-store-cache.ts';

/**
 * A fake of web-llm 0.2.86's MLCEngine that behaves as its source does (lib/engine, lib/cache_util, lib/error):
 * reload() reads each artifact through `caches.open(scope)` with match → add → match and reports progress;
 * a stream yields one chunk per token, then a last chunk with empty `choices` and `usage` when
 * `stream_options.include_usage` is set; interruptGenerate() ends the stream with finish_reason `abort`; and its
 * errors carry web-llm's class names and messages (those classes are not exported, so they are rebuilt here).
 */
function webLlmError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const DEVICE_LOST =
  'The WebGPU device was lost while loading the model. This issue often occurs due to running out of memory (OOM). To resolve this, try reloading with a model that has fewer parameters or uses a smaller context length.';

interface FakeOptions {
  webgpu?: boolean;
  /** Tokens the model answers with. */
  tokens?: string[];
  /** Throws web-llm's DeviceLostError after this many tokens. */
  loseDeviceAfter?: number;
}

class FakeMlcEngine implements WebLlmEngine {
  progress?: (report: InitProgressReport) => void;
  requests: ChatCompletionRequestStreaming[] = [];
  loaded: string | null = null;
  unloaded = 0;
  private interruptSignal = false;

  constructor(
    readonly appConfig: AppConfig,
    private readonly options: FakeOptions = {},
  ) {}

  setInitProgressCallback(callback: (report: InitProgressReport) => void): void {
    this.progress = callback;
  }

  async reload(modelId: string): Promise<void> {
    const record = this.appConfig.model_list.find((m) => m.model_id === modelId);
    if (!record)
      throw webLlmError('ModelNotFoundError', `Cannot find model record in appConfig for ${modelId}`);
    const started = Date.now();
    const report = (progress: number, text: string) =>
      this.progress?.({ progress, timeElapsed: (Date.now() - started) / 1000, text });
    const read = async (scope: string, url: string) => {
      const cache = await caches.open(scope);
      if (!(await cache.match(url))) await cache.add(url);
      const response = await cache.match(url);
      if (!response) throw new Error('Cannot fetch ' + url);
      return response.arrayBuffer();
    };
    await read('webllm/config', new URL('mlc-chat-config.json', record.model).href);
    const wasm = await read('webllm/wasm', record.model_lib);
    if (new TextDecoder().decode(wasm.slice(0, 4)) !== '\0asm') {
      throw new WebAssembly.CompileError('WebAssembly.instantiate(): expected magic word 00 61 73 6d');
    }
    if (!this.options.webgpu) {
      throw webLlmError(
        'WebGPUNotAvailableError',
        'WebGPU is not supported in your current environment, but it is necessary to run the WebLLM engine.',
      );
    }
    report(0.1, 'Fetching param cache[0/1]: 0MB fetched. 0% completed');
    await read('webllm/model', new URL('params_shard_0.bin', record.model).href);
    report(0.9, 'Loading model from cache[1/1]: 1MB loaded. 100% completed');
    if (this.options.loseDeviceAfter === -1) throw webLlmError('DeviceLostError', DEVICE_LOST);
    report(1, 'Finish loading on WebGPU - swiftshader');
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
        this.interruptSignal = false;
        return this.stream(request);
      },
    },
  };

  private async *stream(request: ChatCompletionRequestStreaming): AsyncGenerator<ChatCompletionChunk> {
    const tokens = this.options.tokens ?? ['Hel', 'lo', ' there', '!'];
    const limit = request.max_tokens ?? tokens.length;
    const base = {
      id: 'chatcmpl-1',
      created: 0,
      model: this.loaded!,
      object: 'chat.completion.chunk' as const,
    };
    let produced = 0;
    let finish: 'stop' | 'length' | 'abort' = 'stop';
    for (const token of tokens) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.interruptSignal) {
        finish = 'abort';
        break;
      }
      if (produced === limit) {
        finish = 'length';
        break;
      }
      if (this.options.loseDeviceAfter !== undefined && produced === this.options.loseDeviceAfter) {
        throw webLlmError('DeviceLostError', DEVICE_LOST);
      }
      produced += 1;
      yield {
        ...base,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: token },
            finish_reason: null,
            logprobs: request.logprobs
              ? { content: [{ token, logprob: -0.5, bytes: null, top_logprobs: [] }] }
              : null,
          },
        ],
      } as ChatCompletionChunk;
    }
    yield {
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: finish, logprobs: null }],
    } as ChatCompletionChunk;
    if (request.stream_options?.include_usage) {
      yield {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 12,
          completion_tokens: produced,
          total_tokens: 12 + produced,
          extra: {
            e2e_latency_s: 0.5,
            prefill_tokens_per_s: 120,
            decode_tokens_per_s: 40,
            time_to_first_token_s: 0.1,
            time_per_output_token_s: 0.025,
          },
        },
      } as ChatCompletionChunk;
    }
  }

  interruptGenerate(): void {
    this.interruptSignal = true;
  }

  async unload(): Promise<void> {
    this.unloaded += 1;
    this.loaded = null;
  }
}

/** Files a hub serves for the MLC build (a real HTTP server); the library is a valid empty wasm module. */
const WASM = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
let server: Server;
let hub: string;
let served: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    served.push(req.url!);
    if (req.url!.endsWith('/mlc-chat-config.json')) res.end('{"context_window_size": 2048}');
    else if (req.url!.endsWith('/params_shard_0.bin')) res.end(Buffer.alloc(1024, 7));
    else if (req.url!.endsWith('/good-webgpu.wasm')) res.end(WASM);
    else if (req.url!.endsWith('/bad-webgpu.wasm')) res.end('<html>not a library</html>');
    else res.writeHead(404).end('Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The model store's surface web-llm's cache reaches: files kept by URL, downloaded over HTTP on a miss. */
function memoryStore() {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const store = {
    files,
    async match(url: string) {
      const bytes = files.get(url);
      return bytes ? new Response(bytes) : undefined;
    },
    async fetchFile(
      url: string,
      options: { onProgress?: (p: { loaded: number; total: number }) => void } = {},
    ) {
      if (files.has(url)) return { url, size: files.get(url)!.length, fromCache: true };
      const response = await fetch(url);
      if (!response.ok) {
        const { PetitError } = await import('../../src/engine/errors.ts');
        throw new PetitError('model-not-found', `The hub has no ${url}.`, { details: { url } });
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      options.onProgress?.({ loaded: bytes.length, total: bytes.length });
      files.set(url, bytes);
      return { url, size: bytes.length, fromCache: false };
    },
    async delete(url: string) {
      return files.delete(url);
    },
  };
  return store;
}

function target(lib = 'good'): WebLlmTarget {
  return {
    modelId: 'SmolLM2-135M-Instruct-q0f32-MLC',
    modelUrl: `${hub}/mlc-ai/SmolLM2-135M-Instruct-q0f32-MLC/resolve/main/`,
    modelLibUrl: `${hub}/libs/${lib}-webgpu.wasm`,
    contextWindow: 2048,
    requiredFeatures: [],
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

async function loaded(options: FakeOptions = { webgpu: true }, lib = 'good') {
  const store = memoryStore();
  let engine: FakeMlcEngine | null = null;
  const reports: InitProgressReport[] = [];
  const backend = new WebLlmBackend({
    target: target(lib),
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

describe('WebLlmBackend against a fake MLCEngine', () => {
  it('loads through the model store: every artifact lands in the store, progress is reported, caches are restored', async () => {
    served = [];
    const { backend, store, reports, failure } = await loaded();
    expect(failure).toBeNull();
    expect([...store.files.keys()].map((u) => u.split('/').pop()).sort()).toEqual([
      'good-webgpu.wasm',
      'mlc-chat-config.json',
      'params_shard_0.bin',
    ]);
    expect(reports.map((r) => r.progress)).toEqual([0.1, 0.9, 1]);
    // The hook lives only during reload(): web-llm's scopes are not redirected afterwards.
    expect((globalThis as { caches?: unknown }).caches).toBeUndefined();
    // A second load reads the store back: no request reaches the hub.
    served = [];
    const again = new WebLlmBackend({
      target: target(),
      openCache: (scope) =>
        scope.startsWith('webllm/')
          ? storeCache(store as unknown as ModelStore, { signal: new AbortController().signal })
          : null,
      createEngine: async (appConfig) => new FakeMlcEngine(appConfig, { webgpu: true }),
    });
    await again.load(LOAD);
    expect(served).toEqual([]);
    await backend.unload();
  });

  it('streams deltas and reports usage and timings from the last chunk', async () => {
    const { backend, engine } = await loaded();
    const deltas: string[] = [];
    const outcome = await backend.generate(params({ maxTokens: 3 }), (d) => deltas.push(d));
    expect(deltas).toEqual(['Hel', 'lo', ' there']);
    expect(outcome.text).toBe('Hello there');
    expect(outcome.finishReason).toBe('length');
    expect(outcome.promptTokens).toBe(12);
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
    expect(got).toEqual([-0.5, -0.5, -0.5, -0.5]);
    expect(outcome.logprobs?.map((l) => l.token).join('')).toBe('Hello there!');
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
    expect(engine.unloaded).toBe(1);
    const error = await backend.generate(params(), () => {}).catch((e: unknown) => e);
    expect(isPetitError(error, 'not-loaded')).toBe(true);
  });
});

describe('web-llm failures become typed errors', () => {
  it('no WebGPU: webgpu-unavailable', async () => {
    const { failure } = await loaded({ webgpu: false });
    expect(failure?.code).toBe('webgpu-unavailable');
    expect(failure?.details).toMatchObject({ backend: 'webllm' });
  });

  it('a model library that fails to instantiate: backend-unavailable', async () => {
    const { failure } = await loaded({ webgpu: true }, 'bad');
    expect(failure?.code).toBe('backend-unavailable');
    expect(failure?.message).toMatch(/model library/);
  });

  it('a model library the hub does not have: the store’s model-not-found passes through', async () => {
    const { failure } = await loaded({ webgpu: true }, 'missing');
    expect(failure?.code).toBe('model-not-found');
  });

  it('the device lost while loading (OOM): out-of-memory', async () => {
    const { failure } = await loaded({ webgpu: true, loseDeviceAfter: -1 });
    expect(failure?.code).toBe('out-of-memory');
  });

  it('the device lost mid-answer: backend-error (the engine replaces the worker on it)', async () => {
    const { backend } = await loaded({ webgpu: true, loseDeviceAfter: 2 });
    const deltas: string[] = [];
    const error = await backend.generate(params(), (d) => deltas.push(d)).catch((e: PetitError) => e);
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(isPetitError(error, 'backend-error')).toBe(true);
    expect((error as PetitError).message).toMatch(/GPU device was lost/);
  });
});

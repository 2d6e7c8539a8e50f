import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { currentMemoryBudget, recordOutOfMemory } from '../models/capabilities.ts';
import { estimatePeakBytes } from '../models/estimates.ts';
import { defaultDtype, resolveDevice } from '../models/device-choice.ts';
import { hangLimitBeforeFirstToken } from './hang-limit.ts';
import { AsyncQueue } from './async-queue.ts';
import { installErrorTransfer } from './comlink-errors.ts';
import { PetitError, abortError, isPetitError, toPetitError } from './errors.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  CompletionUsage,
  TokenLogprob,
} from './protocol.ts';
import { DEFAULT_HUB_URL, type Dtype, type LoadOptions, type ModelSpec, type RuntimeInfo } from './types.ts';
import {
  holdModel,
  largeModelBytes,
  otherTabsHolding,
  type HeldModel,
  type OtherTabs,
} from './tab-registry.ts';
import { validateLoad, validateRequest, type GenerationParams } from './validate.ts';
import type {
  GenerationOutcome,
  InferenceWorkerApi,
  WorkerCapabilities,
  WorkerLoadRequest,
} from './worker-protocol.ts';

/** Decides whether to load a second copy of a large model another tab holds; see setSecondCopyGuard. */
export type SecondCopyGuard = (model: { repo: string; dtype: Dtype } & OtherTabs) => Promise<boolean>;

/** What the engine tells the app about its worker's health. */
export type EngineEvent =
  | { type: 'crashed'; error: PetitError }
  | { type: 'recovering'; model: string }
  | { type: 'recovered'; runtime: RuntimeInfo }
  | { type: 'recovery-failed'; error: PetitError };

export interface PetitEngineOptions {
  /** Base URL of the model hub; defaults to Hugging Face. */
  hubUrl?: string;
  /** Creates the inference worker. Apps bundling Petit themselves pass their own (see README). */
  createWorker?: () => Worker;
  /** Resolves short catalog ids (e.g. `smollm2-135m-instruct`) to a full spec. */
  resolveModel?: (id: string) => ModelSpec | undefined;
  /**
   * A generation whose worker answers no ping for this long is taken as hung: the worker is replaced and the
   * model reloaded. Default 30 s; until the first token it grows with the prompt (src/engine/hang-limit.ts),
   * since a long prefill on a slow device is one forward pass the worker cannot interrupt to answer.
   */
  hangTimeoutMs?: number;
  /** The same watch while a model loads, where compiling a large model legitimately blocks the worker. Default 5 min. */
  loadHangTimeoutMs?: number;
}

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

function defaultWorker(): Worker {
  return new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'petit-inference',
  });
}

function completionId(): string {
  return `chatcmpl-${crypto.randomUUID()}`;
}

function buildUsage(outcome: GenerationOutcome, timeToFirstTokenMs: number): CompletionUsage {
  const { promptTokens, completionTokens, timings } = outcome;
  const prefilled = outcome.prefilledTokens ?? promptTokens;
  const perSecond = (tokens: number, ms: number) => (ms > 0 && tokens > 0 ? (tokens * 1000) / ms : 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: promptTokens - prefilled },
    extra: {
      time_to_first_token_ms: timeToFirstTokenMs,
      // Only the tokens run through the model this time: the rest came from the KV cache.
      prefill_tokens_per_s: perSecond(prefilled, timings.prefillMs),
      // The first token comes out of the prefill pass; decoding makes the rest.
      decode_tokens_per_s: perSecond(completionTokens - 1, timings.decodeMs),
      total_ms: timings.totalMs,
      ...(outcome.promptLogprob ? { prompt_logprob: outcome.promptLogprob } : {}),
    },
  };
}

/** Reads `signal` and `stream` once, as validated values: a getter or a look-alike signal is an invalid request. */
function readControls(request: ChatCompletionRequest): { signal: AbortSignal | undefined; stream: boolean } {
  let signal: unknown;
  let stream: unknown;
  try {
    ({ signal, stream } = request);
  } catch (error) {
    throw new PetitError(
      'invalid-request',
      'The request could not be read. Pass a plain object of plain values.',
      {
        details: { field: 'request' },
        cause: error,
      },
    );
  }
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    throw new PetitError('invalid-request', '`signal` must be an AbortSignal (from an AbortController).', {
      details: { field: 'signal' },
    });
  }
  return { signal: signal ?? undefined, stream: stream === true };
}

/**
 * The public client: owns the inference worker (started lazily, replaced after a crash), speaks the
 * OpenAI chat.completions protocol, and turns every failure into a PetitError with a code.
 */
export class PetitEngine {
  private worker: Worker | null = null;
  private remote: Remote<InferenceWorkerApi> | null = null;
  private runtime: RuntimeInfo | null = null;
  /**
   * The worker's ONNX Runtime was started with the CPU-only wasm build (the fast one on WASM, see
   * workers/backends/ort-wasm.ts). ORT starts once per worker, so a WebGPU load needs a fresh worker.
   */
  private cpuOnlyOrt = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly crashListeners = new Set<(error: PetitError) => void>();
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly options: PetitEngineOptions;
  /** The last successful load, replayed after a crash so the app recovers by itself. */
  private lastLoad: WorkerLoadRequest | null = null;
  private recovery: Promise<void> | null = null;
  /** What this tab tells other tabs it holds (tab-registry.ts), and the bytes the current load reported. */
  private heldModel: HeldModel | null = null;
  private releaseHeld: (() => void) | null = null;
  private loadBytes = 0;
  private secondCopyGuard: SecondCopyGuard | null = null;

  readonly chat = {
    completions: {
      create: ((request: ChatCompletionRequest) => this.create(request)) as {
        (request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
        (request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
        (request: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  constructor(options: PetitEngineOptions = {}) {
    installErrorTransfer();
    this.options = options;
  }

  get hubUrl(): string {
    return this.options.hubUrl ?? DEFAULT_HUB_URL;
  }

  set hubUrl(url: string) {
    this.options.hubUrl = url;
  }

  private api(): Remote<InferenceWorkerApi> {
    if (this.remote) return this.remote;
    const worker = (this.options.createWorker ?? defaultWorker)();
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.onWorkerCrash(
        new PetitError(
          'worker-crashed',
          `The model's worker stopped (${event.message || 'unknown error'}). Petit restarted it; your conversation is kept.`,
        ),
      );
    });
    this.worker = worker;
    this.remote = wrap<InferenceWorkerApi>(worker);
    return this.remote;
  }

  /** Listens to crash and recovery events; returns the function that stops listening. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private onWorkerCrash(error: PetitError): void {
    if (!this.worker) return;
    this.discardWorker();
    for (const listener of this.crashListeners) listener(error);
    this.emit({ type: 'crashed', error });
    this.recover();
  }

  /** Starts a fresh worker and reloads the last model from the store (no download: its files are stored). */
  private recover(): void {
    const request = this.lastLoad;
    if (!request || this.recovery) return;
    this.emit({ type: 'recovering', model: request.repo });
    this.recovery = this.enqueue(async () => {
      try {
        this.runtime = await this.loadOnce(request, undefined, undefined);
        this.emit({ type: 'recovered', runtime: this.runtime });
      } catch (error) {
        this.lastLoad = null;
        this.emit({ type: 'recovery-failed', error: toPetitError(error) });
      } finally {
        this.recovery = null;
      }
    });
  }

  private discardWorker(): void {
    this.remote?.[releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
    this.runtime = null;
    this.cpuOnlyOrt = false;
  }

  /** Rejects with `worker-crashed` if the worker dies before `work` settles. */
  private guard<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onCrash = (error: PetitError) => reject(error);
      this.crashListeners.add(onCrash);
      work
        .then(resolve, (error) => reject(toPetitError(error)))
        .finally(() => this.crashListeners.delete(onCrash));
    });
  }

  /** Runs calls one after another: a worker runs one model and one generation at a time. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  async capabilities(): Promise<WorkerCapabilities> {
    return this.guard(this.api().probe());
  }

  resolveSpec(model: string | ModelSpec): ModelSpec {
    let spec: ModelSpec | null = null;
    let id: unknown;
    try {
      const found: unknown =
        typeof model === 'string' ? (this.options.resolveModel?.(model) ?? { id: model }) : model;
      if (typeof found === 'object' && found !== null) {
        // One plain copy, read once: a getter may answer differently (or throw) the second time.
        spec = { ...(found as ModelSpec) };
        id = spec.id;
      }
    } catch {
      spec = null;
    }
    if (!spec || typeof id !== 'string' || !REPO_ID.test(id)) {
      const shown = typeof model === 'string' ? model : typeof id === 'string' ? id : String(typeof model);
      throw new PetitError(
        'unknown-model',
        `"${shown.slice(0, 80)}" is not a model Petit knows. Use a catalog id or a hub repository id such as "HuggingFaceTB/SmolLM2-135M-Instruct".`,
      );
    }
    return spec;
  }

  /** Downloads (or reads from storage) and loads a model; resolves once it is ready to answer. */
  load(model: string | ModelSpec, options?: LoadOptions): Promise<RuntimeInfo> {
    let spec: ModelSpec;
    let onProgress: LoadOptions['onProgress'];
    let signal: AbortSignal | undefined;
    try {
      // Untrusted callers: read the spec once, check what reaches the worker, and fail as a rejection.
      ({ spec, onProgress, signal } = validateLoad(this.resolveSpec(model), options));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(async () => {
      if (signal?.aborted) throw abortError('Loading the model was cancelled.');
      const caps = await this.capabilities();
      const wanted = spec.device ?? 'auto';
      const device = resolveDevice(wanted, caps.webgpu);
      const dtype = spec.dtype ?? defaultDtype(device);
      const request: WorkerLoadRequest = {
        repo: spec.id,
        revision: spec.revision ?? 'main',
        hubUrl: spec.hubUrl ?? this.hubUrl,
        dtype,
        device,
        ...(spec.backend ? { backend: spec.backend } : {}),
        ...(spec.kvCache === false ? { kvCache: false } : {}),
        // Read on the page: the worker sees neither the page's localStorage (where an earlier out-of-memory failure
        // is remembered) nor anything the page overrides.
        memoryBudget: currentMemoryBudget(),
      };
      await this.confirmSecondCopy(request.repo, dtype);
      this.lastLoad = null;
      this.releaseHeldModel();
      if (device === 'webgpu' && this.cpuOnlyOrt) this.discardWorker();
      try {
        this.runtime = await this.loadOnce(request, onProgress, signal);
        this.lastLoad = request;
      } catch (error) {
        if (!isPetitError(error, 'webgpu-unavailable') || wanted !== 'auto') throw error;
        // A failed WebGPU start leaves ONNX Runtime unusable in that worker: start afresh on WASM.
        this.discardWorker();
        const fallback: WorkerLoadRequest = {
          ...request,
          device: 'wasm',
          fallbackReason: `WebGPU failed (${error.message}); running on WASM instead.`,
        };
        this.runtime = await this.loadOnce(fallback, onProgress, signal);
        this.lastLoad = fallback;
      }
      this.holdLoadedModel(this.runtime);
      return this.runtime;
    });
  }

  private async loadOnce(
    request: WorkerLoadRequest,
    onProgress: LoadOptions['onProgress'],
    signal: AbortSignal | undefined,
  ): Promise<RuntimeInfo> {
    const api = this.api();
    const progress = proxy((event: Parameters<NonNullable<LoadOptions['onProgress']>>[0]) => {
      // The caller's callback failing must neither stop the load nor surface as an uncaught page error.
      if (event.total > this.loadBytes) this.loadBytes = event.total;
      try {
        onProgress?.(event);
      } catch (error) {
        console.warn('Petit: onProgress threw; the load goes on.', error);
      }
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        // Whatever is half-downloaded was never committed to the store; a fresh worker is cheaper than waiting.
        this.discardWorker();
        reject(abortError('Loading the model was cancelled.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const stopWatchdog = this.watchdog(api, this.options.loadHangTimeoutMs ?? 300_000);
    try {
      const runtime = await Promise.race([this.guard(api.load(request, progress)), aborted]);
      if (runtime.backend === 'transformers' && runtime.device === 'wasm') this.cpuOnlyOrt = true;
      return runtime;
    } catch (error) {
      // Next time, a model this large is refused before its download instead of failing the same way.
      if (isPetitError(error, 'out-of-memory') && this.loadBytes > 0)
        recordOutOfMemory(estimatePeakBytes(this.loadBytes, request.dtype));
      // ONNX Runtime and transformers.js keep a failed session start around and fail every later one in that
      // worker; with no model loaded, a fresh worker costs nothing.
      this.discardWorker();
      throw error;
    } finally {
      stopWatchdog();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Asks `guard` before loading a second copy of a large model another tab of this origin already holds
   * (over 1 GB of files; see tab-registry.ts). Resolving false cancels the load with code `aborted`.
   */
  setSecondCopyGuard(guard: SecondCopyGuard | null): void {
    this.secondCopyGuard = guard;
  }

  private async confirmSecondCopy(repo: string, dtype: Dtype): Promise<void> {
    if (!this.secondCopyGuard) return;
    const others = await otherTabsHolding(repo, dtype, this.heldModel).catch(() => ({ tabs: 0, bytes: 0 }));
    if (others.tabs === 0 || others.bytes < largeModelBytes()) return;
    if (!(await this.secondCopyGuard({ repo, dtype, ...others }))) {
      throw abortError(`Not loaded: ${repo} is already loaded in another tab.`);
    }
  }

  private holdLoadedModel(runtime: RuntimeInfo): void {
    const bytes = this.loadBytes;
    this.releaseHeldModel();
    this.heldModel = { repo: runtime.model, dtype: runtime.dtype, bytes };
    this.releaseHeld = holdModel(this.heldModel);
  }

  private releaseHeldModel(): void {
    this.releaseHeld?.();
    this.releaseHeld = null;
    this.heldModel = null;
    this.loadBytes = 0;
  }

  async unload(): Promise<void> {
    this.lastLoad = null;
    this.releaseHeldModel();
    await this.enqueue(async () => {
      if (this.remote) await this.guard(this.remote.unload());
      this.runtime = null;
    });
  }

  runtimeInfo(): RuntimeInfo | null {
    return this.runtime;
  }

  /** Counts the tokens a conversation takes once the model's chat template is applied. */
  countTokens(messages: GenerationParams['messages']): Promise<number> {
    return this.guard(this.api().countTokens(messages));
  }

  /** Ends the worker for good (the next call starts a new one). */
  terminate(): void {
    this.lastLoad = null;
    this.releaseHeldModel();
    this.discardWorker();
  }

  /**
   * Diagnostics: makes the worker fail the way real workers do — an uncaught error, a hang, or dying silently —
   * so the app's recovery can be checked. Never called by Petit itself.
   */
  async simulateWorkerFailure(kind: 'error' | 'hang' | 'exit'): Promise<void> {
    if (this.remote) await this.remote.simulateFailure(kind);
  }

  private async create(
    request: ChatCompletionRequest,
  ): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    const params = validateRequest(request);
    const { signal, stream } = readControls(request);
    if (signal?.aborted) throw abortError();
    // After a crash the engine reloads the model by itself; a request made meanwhile waits for it.
    if (this.recovery) await this.recovery;
    if (!this.runtime)
      throw new PetitError('not-loaded', 'No model is loaded. Load a model before asking it.');
    const id = completionId();
    const created = Math.floor(Date.now() / 1000);
    const model = this.runtime.model;

    if (stream) {
      const queue = new AsyncQueue<ChatCompletionChunk>(() => void this.remote?.interrupt());
      const chunk = (
        delta: ChatCompletionChunk['choices'][0]['delta'],
        extra: Partial<ChatCompletionChunk['choices'][0]> = {},
      ) =>
        ({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          inference_source: 'on-device',
          choices: [{ index: 0, delta, finish_reason: null, logprobs: null, ...extra }],
        }) as ChatCompletionChunk;
      queue.push(chunk({ role: 'assistant', content: '' }));
      // The reader learns of a cancel at once; the worker stops at its next token in the background.
      signal?.addEventListener('abort', () => queue.fail(abortError()), { once: true });
      this.run(params, signal, (delta, logprobs) =>
        queue.push(chunk({ content: delta }, logprobs ? { logprobs: { content: logprobs } } : {})),
      ).then(
        ({ outcome, usage }) => {
          if (outcome.finishReason === 'abort') return queue.fail(abortError());
          queue.push({ ...chunk({}, { finish_reason: outcome.finishReason }), usage });
          queue.end();
        },
        (error) => queue.fail(error),
      );
      return queue;
    }

    const { outcome, usage } = await this.run(params, signal, () => {});
    if (outcome.finishReason === 'abort') {
      throw new PetitError('aborted', 'The request was cancelled.', {
        details: { partialText: outcome.text },
      });
    }
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      inference_source: 'on-device',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: outcome.text },
          finish_reason: outcome.finishReason,
          logprobs: outcome.logprobs ? { content: outcome.logprobs } : null,
        },
      ],
      usage,
    };
  }

  /**
   * Pings the worker while it generates; one that stops answering is hung and gets replaced. `firstLimit`, when
   * given, applies until `progressed()` says the work has moved on (the first token after a long prefill).
   */
  private watchdog(
    api: Remote<InferenceWorkerApi>,
    baseLimit = this.options.hangTimeoutMs ?? 30_000,
    first?: { limit: number; progressed: () => boolean },
  ): () => void {
    let lastAnswer = performance.now();
    let waiting = false;
    const timer = setInterval(
      () => {
        const limit = first && !first.progressed() ? first.limit : baseLimit;
        if (performance.now() - lastAnswer > limit) {
          clearInterval(timer);
          this.onWorkerCrash(
            new PetitError(
              'worker-crashed',
              `The model stopped responding for ${Math.round(limit / 1000)} s. Petit restarted it.`,
            ),
          );
          return;
        }
        if (waiting) return;
        waiting = true;
        api.ping().then(
          () => {
            waiting = false;
            lastAnswer = performance.now();
          },
          () => {},
        );
      },
      Math.min(1000, baseLimit / 4),
    );
    return () => clearInterval(timer);
  }

  private run(
    params: GenerationParams,
    signal: AbortSignal | undefined,
    onDelta: (delta: string, logprobs: TokenLogprob[] | null) => void,
  ): Promise<{ outcome: GenerationOutcome; usage: CompletionUsage }> {
    return this.enqueue(async () => {
      if (signal?.aborted) throw abortError();
      const api = this.api();
      const started = performance.now();
      let firstDeltaAt = 0;
      const onAbort = () => void api.interrupt();
      signal?.addEventListener('abort', onAbort, { once: true });
      const base = this.options.hangTimeoutMs ?? 30_000;
      const promptChars = params.messages.reduce((n, m) => n + m.content.length, 0);
      const stopWatchdog = this.watchdog(api, base, {
        limit: hangLimitBeforeFirstToken(base, promptChars, this.options.loadHangTimeoutMs ?? 300_000),
        progressed: () => firstDeltaAt !== 0,
      });
      try {
        const outcome = await this.guard(
          api.generate(
            params,
            proxy((delta: string, logprobs: TokenLogprob[] | null) => {
              if (firstDeltaAt === 0) firstDeltaAt = performance.now();
              onDelta(delta, logprobs);
            }),
          ),
        );
        if (signal?.aborted && outcome.finishReason !== 'abort') outcome.finishReason = 'abort';
        const ttft = firstDeltaAt ? firstDeltaAt - started : outcome.timings.timeToFirstTokenMs;
        return { outcome, usage: buildUsage(outcome, ttft) };
      } catch (error) {
        // A runtime failure mid-answer (a wasm trap, a lost GPU device) can leave ONNX Runtime unusable.
        if (isPetitError(error, 'backend-error') || isPetitError(error, 'out-of-memory')) {
          this.onWorkerCrash(toPetitError(error));
        }
        throw error;
      } finally {
        stopWatchdog();
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }
}

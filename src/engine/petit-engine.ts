import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { recordOutOfMemory } from '../models/capabilities.ts';
import { estimatePeakBytes } from '../models/estimates.ts';
import type { EngineEvent, PetitEngineOptions, SecondCopyGuard } from './engine-options.ts';
import { hangLimitBeforeFirstToken } from './hang-limit.ts';
import { buildUsage, readControls, streamedAnswer, wholeAnswer, type RunAnswer } from './completion-shape.ts';
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
import { TabHold } from './tab-registry.ts';
import { resolveModelSpec, toLoadRequest } from './resolve-spec.ts';
import { validateLoad, validateRequest, type GenerationParams } from './validate.ts';
import { startWatchdog, type FirstTokenLimit } from './watchdog.ts';
import type {
  GenerationOutcome,
  InferenceWorkerApi,
  WorkerCapabilities,
  WorkerLoadRequest,
} from './worker-protocol.ts';

export type { EngineEvent, PetitEngineOptions, SecondCopyGuard } from './engine-options.ts';

function defaultWorker(): Worker {
  return new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'petit-inference',
  });
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
  private readonly tabHold = new TabHold();
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
    return resolveModelSpec(model, this.options.resolveModel);
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
      const request = toLoadRequest(spec, caps.webgpu, this.hubUrl);
      const { device, dtype } = request;
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
          fallback: { from: 'webgpu', error: error.message },
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
    const others = await this.tabHold.largeCopiesElsewhere(repo, dtype);
    if (others && !(await this.secondCopyGuard({ repo, dtype, ...others })))
      throw abortError(`Not loaded: ${repo} is already loaded in another tab.`);
  }

  private holdLoadedModel(runtime: RuntimeInfo): void {
    const bytes = this.loadBytes;
    this.releaseHeldModel();
    this.tabHold.hold({ repo: runtime.model, dtype: runtime.dtype, bytes });
  }

  private releaseHeldModel(): void {
    this.tabHold.release();
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
    const run: RunAnswer = (onDelta) => this.run(params, signal, onDelta);
    const model = this.runtime.model;
    if (stream) return streamedAnswer(model, signal, () => void this.remote?.interrupt(), run);
    return wholeAnswer(model, run);
  }

  /** The hang watch on this engine's worker (watchdog.ts): a worker that stops answering pings is replaced. */
  private watchdog(
    api: Remote<InferenceWorkerApi>,
    baseLimit = this.options.hangTimeoutMs ?? 30_000,
    first?: FirstTokenLimit,
  ): () => void {
    return startWatchdog(
      () => api.ping(),
      (limit) =>
        this.onWorkerCrash(
          new PetitError(
            'worker-crashed',
            `The model stopped responding for ${Math.round(limit / 1000)} s. Petit restarted it.`,
          ),
        ),
      baseLimit,
      first,
    );
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

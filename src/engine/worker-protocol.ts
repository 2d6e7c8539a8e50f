/**
 * The contract between the engine client and the inference worker. It lives on the engine's side so that the
 * engine imports nothing from workers/ (but the worker's URL); the worker implements `InferenceWorkerApi`.
 */
import type { MemoryBudget } from '../models/capabilities.ts';
import type { FinishReason, TokenLogprob } from './protocol.ts';
import type {
  BackendPreference,
  Device,
  Dtype,
  LoadProgress,
  RuntimeFallback,
  RuntimeInfo,
} from './types.ts';
import type { GenerationParams } from './validate.ts';

/** What the page asks the worker to load; defaults are already applied by the engine client. */
export interface WorkerLoadRequest {
  repo: string;
  revision: string;
  hubUrl: string;
  dtype: Dtype;
  device: Device;
  /** Why the engine is not on its preferred device (set after a WebGPU failure). */
  fallbackReason?: string;
  fallback?: RuntimeFallback;
  /** `auto` or absent: web-llm for a catalog model with an MLC build on a capable GPU, else transformers.js. */
  backend?: BackendPreference;
  /** Prefix caching across requests (see workers/backends/prefix-cache.ts); default true. */
  kvCache?: boolean;
  /** What the tab can count on (capabilities.ts memoryBudget, read on the page): larger models are refused. */
  memoryBudget?: MemoryBudget | null;
}

/** What `PetitEngine.capabilities()` reports: the worker's view of the device. */
export interface WorkerCapabilities {
  webgpu: boolean;
  adapter: string | null;
  shaderF16: boolean;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

export interface GenerationTimings {
  timeToFirstTokenMs: number;
  prefillMs: number;
  decodeMs: number;
  totalMs: number;
}

export interface GenerationOutcome {
  text: string;
  finishReason: FinishReason;
  /** Tokens of the whole prompt, as the model saw it. */
  promptTokens: number;
  /** Tokens actually run through the model this time, when a KV cache held the rest (prefill speed uses these). */
  prefilledTokens?: number;
  completionTokens: number;
  timings: GenerationTimings;
  logprobs: TokenLogprob[] | null;
  /**
   * With `logprobs`: the mean log-probability the model gave the prompt tokens it read this time (how familiar the
   * request looked to it), and how many; absent where the backend cannot tell.
   */
  promptLogprob?: { mean: number; tokens: number };
}

/** The worker's RPC surface (comlink `expose` in the worker, `wrap` in the engine). */
export interface InferenceWorkerApi {
  probe(): Promise<WorkerCapabilities>;
  load(request: WorkerLoadRequest, onProgress: (event: LoadProgress) => void): Promise<RuntimeInfo>;
  cancelLoad(): void;
  countTokens(messages: GenerationParams['messages']): Promise<number>;
  /** Deltas reach `onDelta` before the outcome resolves. */
  generate(
    params: GenerationParams,
    onDelta: (delta: string, logprobs: TokenLogprob[] | null) => void,
  ): Promise<GenerationOutcome>;
  interrupt(): void;
  unload(): Promise<void>;
  runtimeInfo(): RuntimeInfo | null;
  /** Answers as soon as the worker's event loop is free: the engine's watchdog for hangs. */
  ping(): true;
  /** Diagnostics for recovery tests (PetitEngine.simulateWorkerFailure). */
  simulateFailure(kind: 'error' | 'hang' | 'exit'): void;
}

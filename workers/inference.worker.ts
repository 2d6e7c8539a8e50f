/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/engine/comlink-errors.ts';
import { PetitError, abortError, isPetitError, toPetitError } from '../src/engine/errors.ts';
import type { TokenLogprob } from '../src/engine/protocol.ts';
import type { LoadProgress, RuntimeFallback, RuntimeInfo } from '../src/engine/types.ts';
import type { GenerationParams } from '../src/engine/validate.ts';
import { appCatalog } from '../src/models/app-catalog.ts';
import { probeCapabilities } from '../src/models/capabilities.ts';
import { findByRepo, type MlcBuild } from '../src/models/catalog.ts';
import { discardModel } from '../src/models/fetch-model.ts';
import { classifyLoadFailure } from '../src/models/load-failure.ts';
import { ProgressTracker } from '../src/models/load-progress.ts';
import { chooseLoadRuntime } from '../src/models/runtime-choice.ts';
import { ModelStore } from '../src/models/store.ts';
import type {
  GenerationOutcome,
  InferenceWorkerApi,
  WorkerCapabilities,
  WorkerLoadRequest,
} from '../src/engine/worker-protocol.ts';
import type { Backend, PrepareHooks } from './backends/backend.ts';

installErrorTransfer();

const store = new ModelStore();
let backend: Backend | null = null;
let runtime: RuntimeInfo | null = null;
let loadController: AbortController | null = null;
let capabilities: Promise<WorkerCapabilities> | null = null;

/**
 * Runs the model with web-llm when the selection says so (see BackendPreference): prepare (its files into the
 * store), then load (from the store alone). A failure of an automatic choice falls back to transformers.js and
 * says why; a failure of an explicit choice is the caller's error. web-llm fails before ONNX Runtime ever starts
 * in this worker, so ORT is not poisoned by it (DESIGN.md); a lost device mid-answer is a `backend-error`, on
 * which the engine replaces the worker.
 */
async function loadWithWebLlm(
  request: WorkerLoadRequest,
  build: MlcBuild,
  hooks: PrepareHooks,
  started: number,
): Promise<{ runtime?: RuntimeInfo; fallbackReason?: string; fallback?: RuntimeFallback }> {
  const { createWebLlm, mlcLoadRequest, MLC_DTYPE } = await import('./backends/webllm-runtime.ts');
  const { tracker, signal } = hooks;
  const caps = await probeCapabilities();
  const model = mlcLoadRequest(build, request.hubUrl, request.kvCache);
  try {
    const next = await createWebLlm(store, build, request.hubUrl, {
      onCompile: () => tracker.send({ status: 'compile', device: 'webgpu' }),
    });
    await next.prepare(model, hooks);
    if (signal.aborted) throw abortError('Loading the model was cancelled.');
    try {
      await next.load(model);
    } catch (error) {
      await next.unload().catch(() => {});
      // A file the store lost: removed with its model, so a retry downloads it afresh.
      if (isPetitError(error, 'invalid-model-file')) await discardModel(store, model);
      throw error;
    }
    if (signal.aborted) {
      // web-llm's load cannot be cancelled midway: the model is not kept when the user cancelled meanwhile.
      await next.unload().catch(() => {});
      throw abortError('Loading the model was cancelled.');
    }
    loadController = null;
    backend = next;
    runtime = {
      model: request.repo,
      revision: request.revision,
      backend: 'webllm',
      device: 'webgpu',
      dtype: MLC_DTYPE[build.quantization],
      threads: 0,
      crossOriginIsolated: caps.crossOriginIsolated,
      contextLength: build.contextWindow,
      loadMs: performance.now() - started,
      mlcModelId: build.modelId,
      ...(request.fallbackReason ? { fallbackReason: request.fallbackReason } : {}),
      ...(request.fallback ? { fallback: request.fallback } : {}),
    };
    tracker.send({ status: 'ready', runtime });
    return { runtime };
  } catch (error) {
    if (signal.aborted) {
      loadController = null;
      throw abortError('Loading the model was cancelled.');
    }
    if (request.backend === 'webllm') {
      loadController = null;
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      fallbackReason: `web-llm could not run ${build.modelId} (${message.slice(0, 160)}); running transformers.js instead.`,
      fallback: { from: 'webllm', error: message.slice(0, 160), model: build.modelId },
    };
  }
}

async function createBackend(): Promise<Backend> {
  const { TransformersBackend } = await import('./backends/transformers.backend.ts');
  return new TransformersBackend(store);
}

const api: InferenceWorkerApi = {
  async probe(): Promise<WorkerCapabilities> {
    // The one probe of capabilities.ts, in the shape PetitEngine.capabilities() has always returned.
    capabilities ??= probeCapabilities().then((caps) => ({
      webgpu: caps.webgpu !== null,
      adapter: caps.webgpu?.adapter ?? null,
      shaderF16: caps.webgpu?.shaderF16 ?? false,
      crossOriginIsolated: caps.crossOriginIsolated,
      hardwareConcurrency: caps.cores,
    }));
    return capabilities;
  },

  async load(request: WorkerLoadRequest, onProgress: (event: LoadProgress) => void): Promise<RuntimeInfo> {
    const started = performance.now();
    if (request.kvCache !== undefined && typeof request.kvCache !== 'boolean') {
      throw new PetitError(
        'invalid-request',
        `\`kvCache\` must be true or false; got ${typeof request.kvCache}.`,
        {
          details: { field: 'kvCache' },
        },
      );
    }
    const entry = findByRepo(appCatalog(), request.repo);
    const pick = await chooseLoadRuntime(request, entry);
    const caps = await probeCapabilities();
    if (backend) await api.unload();
    loadController = new AbortController();
    const { signal } = loadController;
    const tracker = new ProgressTracker(request.repo, onProgress);
    const hooks: PrepareHooks = { tracker, signal, entry, memoryBudget: request.memoryBudget ?? null };
    if (pick.backend === 'webllm') {
      const viaWebLlm = await loadWithWebLlm(request, pick.build, hooks, started);
      if (viaWebLlm.runtime) return viaWebLlm.runtime;
      request = { ...request, fallbackReason: viaWebLlm.fallbackReason, fallback: viaWebLlm.fallback };
    }
    // After a web-llm fallback the device is WebGPU, where ONNX Runtime's CPU side keeps one thread.
    const threads = pick.backend === 'transformers' ? pick.threads : 1;
    const next = await createBackend();
    const filesStarted = performance.now();
    try {
      await next.prepare({ ...request, threads }, hooks);
    } finally {
      if (signal.aborted) loadController = null;
    }
    const filesMs = performance.now() - filesStarted;
    if (signal.aborted) throw abortError('Loading the model was cancelled.');

    tracker.send({ status: 'compile', device: request.device });
    let contextLength: number;
    let phases: { name: string; ms: number }[];
    try {
      ({ contextLength, phases = [] } = await next.load({ ...request, threads }));
    } catch (error) {
      await next.unload().catch(() => {});
      const failure = classifyLoadFailure(error, request.device);
      if (failure.code === 'invalid-model-file' || failure.code === 'invalid-model-config')
        await discardModel(store, request);
      throw failure;
    } finally {
      loadController = null;
    }
    backend = next;
    runtime = {
      model: request.repo,
      revision: request.revision,
      backend: next.name,
      device: request.device,
      dtype: request.dtype,
      threads: request.device === 'wasm' ? threads : 0,
      crossOriginIsolated: caps.crossOriginIsolated,
      contextLength,
      loadMs: performance.now() - started,
      loadPhases: [{ name: 'model files from the store', ms: filesMs }, ...phases],
      ...(request.fallbackReason ? { fallbackReason: request.fallbackReason } : {}),
      ...(request.fallback ? { fallback: request.fallback } : {}),
    };
    tracker.send({ status: 'ready', runtime });
    return runtime;
  },

  cancelLoad(): void {
    loadController?.abort();
  },

  async countTokens(messages: GenerationParams['messages']): Promise<number> {
    if (!backend) throw new PetitError('not-loaded', 'No model is loaded. Load a model first.');
    return backend.countTokens({ messages });
  },

  async generate(
    params: GenerationParams,
    onDelta: (delta: string, logprobs: TokenLogprob[] | null) => void,
  ): Promise<GenerationOutcome> {
    if (!backend) throw new PetitError('not-loaded', 'No model is loaded. Load a model first.');
    // Deltas travel on the callback's own port, the result on the worker's: wait until every delta has been
    // handled on the page, or the result could overtake the last words of the answer.
    const delivered: Promise<unknown>[] = [];
    try {
      const outcome = await backend.generate(params, (delta, logprobs) => {
        delivered.push(Promise.resolve(onDelta(delta, logprobs)));
      });
      await Promise.all(delivered);
      return outcome;
    } catch (error) {
      throw toPetitError(error);
    }
  },

  interrupt(): void {
    backend?.interrupt();
  },

  async unload(): Promise<void> {
    const current = backend;
    backend = null;
    runtime = null;
    await current?.unload();
  },

  runtimeInfo(): RuntimeInfo | null {
    return runtime;
  },

  /** Answers as soon as the worker's event loop is free: the engine's watchdog for hangs. */
  ping(): true {
    return true;
  },

  /** Diagnostics for recovery tests (PetitEngine.simulateWorkerFailure). */
  simulateFailure(kind: 'error' | 'hang' | 'exit'): void {
    setTimeout(() => {
      if (kind === 'exit') self.close();
      else if (kind === 'hang') for (;;);
      else throw new Error('Simulated crash of the inference worker');
    }, 0);
  },
};

expose(api);

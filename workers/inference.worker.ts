/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/engine/comlink-errors.ts';
import { PetitError, abortError, isPetitError, toPetitError } from '../src/engine/errors.ts';
import type { TokenLogprob } from '../src/engine/protocol.ts';
import { DTYPE_FILE_SUFFIX, type LoadProgress, type RuntimeInfo } from '../src/engine/types.ts';
import type { GenerationParams } from '../src/engine/validate.ts';
import { overBudget, probeCapabilities as probeDeviceCapabilities } from '../src/models/capabilities.ts';
import { buildCatalog, findByRepo } from '../src/models/catalog.ts';
import {
  ensureRoom,
  ensureRoomForFile,
  pinnedFiles,
  planFiles,
  type PlannedFile,
} from '../src/models/download-plan.ts';
import { estimatePeakBytes } from '../src/models/estimates.ts';
import { modelIndex } from '../src/models/store-db.ts';
import { ModelStore, hubFileUrl, modelPrefix, withModelLock } from '../src/models/store.ts';
import type {
  GenerationOutcome,
  InferenceWorkerApi,
  WorkerCapabilities,
  WorkerLoadRequest,
} from '../src/engine/worker-protocol.ts';
import type { Backend } from './backends/backend.ts';

installErrorTransfer();

const store = new ModelStore();
let backend: Backend | null = null;
let runtime: RuntimeInfo | null = null;
let loadController: AbortController | null = null;
let capabilities: Promise<WorkerCapabilities> | null = null;

async function probeCapabilities(): Promise<WorkerCapabilities> {
  const adapter: GPUAdapter | null = await Promise.resolve(navigator.gpu?.requestAdapter())
    .then((a) => a ?? null)
    .catch(() => null);
  const info = adapter?.info;
  return {
    webgpu: adapter !== null,
    adapter: info
      ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown'
      : null,
    shaderF16: adapter?.features.has('shader-f16') ?? false,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
  };
}

/** Multi-threaded WASM needs SharedArrayBuffer, which only cross-origin isolated pages have. */
function wasmThreads(caps: WorkerCapabilities): number {
  return caps.crossOriginIsolated ? Math.max(1, Math.min(4, caps.hardwareConcurrency)) : 1;
}

function externalDataFiles(config: Record<string, unknown>, onnxFile: string): string[] {
  const jsConfig = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const setting = jsConfig.use_external_data_format;
  const base = onnxFile.split('/').pop()!;
  const value =
    setting && typeof setting === 'object'
      ? (setting as Record<string, unknown>)[base]
      : (setting as unknown);
  const count = value === true ? 1 : typeof value === 'number' ? value : 0;
  return Array.from({ length: count }, (_, i) => `${onnxFile}_data${i === 0 ? '' : `_${i}`}`);
}

/** Bounds far above any real model: a config beyond them is corrupt, and would make the runtime loop or allocate forever. */
const SHAPE_LIMITS: readonly (readonly [string, number])[] = [
  ['vocab_size', 4_000_000],
  ['hidden_size', 65_536],
  ['intermediate_size', 524_288],
  ['num_hidden_layers', 1_024],
  ['num_attention_heads', 1_024],
  ['num_key_value_heads', 1_024],
  ['head_dim', 4_096],
  ['max_position_embeddings', 100_000_000],
];

async function readConfig(url: string): Promise<Record<string, unknown>> {
  const response = await store.match(url);
  let config: unknown;
  try {
    config = JSON.parse(await response!.text());
  } catch {
    await store.delete(url);
    throw new PetitError(
      'invalid-model-config',
      "The model's config.json is not valid JSON. The model cannot be used; choose another one or fix the repository.",
    );
  }
  const c = config as Record<string, unknown>;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.model_type !== 'string' ||
    !(Number(c.vocab_size) > 0)
  ) {
    await store.delete(url);
    throw new PetitError(
      'invalid-model-config',
      "The model's config.json lacks `model_type` or `vocab_size`; it is not a model Petit can run.",
    );
  }
  for (const [key, limit] of SHAPE_LIMITS) {
    const value = c[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit) {
      await store.delete(url);
      throw new PetitError(
        'invalid-model-config',
        `The model's config.json gives ${key} = ${JSON.stringify(value).slice(0, 40)}, which no real model has (a whole number from 1 to ${limit}). The repository is broken; choose another model.`,
      );
    }
  }
  return c;
}

/**
 * Runs the model with web-llm when the selection says so (see BackendPreference). A failure of an automatic
 * choice falls back to transformers.js and says why; a failure of an explicit choice is the caller's error. web-llm
 * fails before ONNX Runtime ever starts in this worker, so ORT is not poisoned by it (DESIGN.md); a lost device
 * mid-answer is a `backend-error`, on which the engine replaces the worker.
 */
async function loadWithWebLlm(
  request: WorkerLoadRequest,
  tracker: ProgressTracker,
  signal: AbortSignal,
  started: number,
): Promise<{ runtime?: RuntimeInfo; fallbackReason?: string }> {
  const preference = request.backend ?? 'auto';
  if (!['auto', 'webllm', 'transformers'].includes(preference)) {
    throw new PetitError(
      'invalid-request',
      `\`backend\` must be auto, webllm or transformers; got ${JSON.stringify(preference)}.`,
      { details: { field: 'backend' } },
    );
  }
  if (preference === 'transformers' || request.device === 'wasm') return {};
  const caps = await probeDeviceCapabilities();
  const entry = findByRepo(catalog, request.repo);
  const { pickMlcBuild, startWebLlm, MLC_DTYPE } = await import('./backends/webllm-runtime.ts');
  const pick = pickMlcBuild(entry, caps);
  if (!pick) {
    if (preference !== 'webllm') return {};
    throw new PetitError(
      'backend-unavailable',
      entry?.mlc.length
        ? 'web-llm cannot run this model here: it needs a WebGPU adapter (and shader-f16 for 16-bit builds) with enough memory. Choose automatic in Settings → Runtime.'
        : 'This model has no web-llm (MLC) build. Choose automatic or transformers.js in Settings → Runtime.',
    );
  }
  const { build } = pick;
  tracker.send({ status: 'initiate', files: [] });
  try {
    const next = await startWebLlm(store, build, request.hubUrl, {
      signal,
      onFile: (file) => tracker.send({ status: 'download', file }),
      onProgress: (file, loaded, total) => tracker.progress(file, loaded, total),
      onDone: (file, fromCache) => tracker.send({ status: 'done', file, fromCache }),
      onCompile: () => tracker.send({ status: 'compile', device: 'webgpu' }),
      kvCache: request.kvCache,
    });
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
    };
    tracker.send({ status: 'ready', runtime });
    return { runtime };
  } catch (error) {
    if (signal.aborted) {
      loadController = null;
      throw abortError('Loading the model was cancelled.');
    }
    if (preference === 'webllm') {
      loadController = null;
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      fallbackReason: `web-llm could not run ${build.modelId} (${message.slice(0, 160)}); running transformers.js instead.`,
    };
  }
}

async function createBackend(): Promise<Backend> {
  const { TransformersBackend } = await import('./backends/transformers.backend.ts');
  return new TransformersBackend(store);
}

class ProgressTracker {
  private loaded = new Map<string, number>();
  private sizes = new Map<string, number>();
  private window: { at: number; bytes: number }[] = [];

  constructor(
    private readonly model: string,
    private readonly emit: (event: LoadProgress) => void,
  ) {}

  expect(file: string, size: number): void {
    this.sizes.set(file, size);
  }

  private totals(): { loaded: number; total: number } {
    let loaded = 0;
    let total = 0;
    for (const v of this.loaded.values()) loaded += v;
    for (const v of this.sizes.values()) total += v;
    return { loaded, total: Math.max(total, loaded) };
  }

  send(event: Record<string, unknown> & { status: LoadProgress['status'] }): void {
    this.emit({ model: this.model, ...this.totals(), ...event } as LoadProgress);
  }

  progress(file: string, fileLoaded: number, fileTotal: number): void {
    this.loaded.set(file, fileLoaded);
    if (fileTotal > 0) this.sizes.set(file, fileTotal);
    const at = performance.now();
    const { loaded } = this.totals();
    this.window.push({ at, bytes: loaded });
    while (this.window.length > 2 && at - this.window[0].at > 3000) this.window.shift();
    const first = this.window[0];
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0.05 ? (loaded - first.bytes) / seconds : 0;
    this.send({ status: 'progress', file, fileLoaded, fileTotal, bytesPerSecond });
  }
}

/** The catalog the app was built with: pinned revisions give each file's size and SHA-256. */
const catalog = buildCatalog(import.meta.env.VITE_PETIT_EXTRA_MODELS);

/**
 * Puts every file of the model in the store: pinned sizes and hashes from the catalog (else the hub's HEAD answer
 * and ETag), a quota check before the first byte, resume of interrupted files, and a per-model Web Lock so another
 * tab loading the same model waits and then reads the store instead of downloading again.
 */
async function fetchModelFiles(
  request: WorkerLoadRequest,
  tracker: ProgressTracker,
  signal: AbortSignal,
): Promise<void> {
  const prefix = modelPrefix(request.hubUrl, request.repo, request.revision);
  await withModelLock(
    prefix,
    async () => {
      const fetchOne = async (file: PlannedFile) => {
        tracker.send({ status: 'download', file: file.path });
        const stored = await store.fetchFile(file.url, {
          signal,
          optional: file.optional,
          expected: file.expected,
          beforeBody: (total, resumeFrom) => {
            if (WEIGHTS_FILE.test(file.path)) ensureMemory(request, total);
            return ensureRoomForFile(file.url, total, resumeFrom);
          },
          onProgress: ({ loaded, total }) => tracker.progress(file.path, loaded, total),
        });
        tracker.send({ status: 'done', file: file.path, fromCache: stored?.fromCache ?? false });
        return stored;
      };
      // A model kept before is read from its recorded file list: no request at all, not even for optional files.
      const kept = (await modelIndex.get(prefix))?.files[request.dtype];
      if (kept && (await Promise.all(kept.map((url) => store.has(url)))).every(Boolean)) {
        const files = kept.map((url) => url.slice(prefix.length));
        tracker.send({ status: 'initiate', files });
        for (const [i, url] of kept.entries()) {
          const { bytes } = await store.storedBytes(url);
          tracker.expect(files[i], bytes);
          tracker.progress(files[i], bytes, bytes);
          tracker.send({ status: 'done', file: files[i], fromCache: true });
        }
        await store.keep(request, request.dtype, kept);
        return;
      }
      const entry = findByRepo(catalog, request.repo);
      const plan = planFiles(request, pinnedFiles(entry, request), entry);
      for (const file of plan)
        if (file.expected.size !== undefined) tracker.expect(file.path, file.expected.size);
      tracker.send({ status: 'initiate', files: plan.map((f) => f.path) });
      // Pinned sizes tell before any request; otherwise the weights' headers do (beforeBody above).
      for (const file of plan) if (WEIGHTS_FILE.test(file.path)) ensureMemory(request, file.size ?? 0);
      await ensureRoom(store, plan);

      const [configFile, ...rest] = plan;
      await fetchOne(configFile);
      const config = await readConfig(configFile.url);
      const onnxFile = `onnx/model${DTYPE_FILE_SUFFIX[request.dtype]}.onnx`;
      const planned = new Set(plan.map((f) => f.path));
      const extra = externalDataFiles(config, onnxFile)
        .filter((path) => !planned.has(path))
        .map((path) => ({
          path,
          url: hubFileUrl(request.hubUrl, request.repo, request.revision, path),
          optional: false,
          expected: {},
          size: null,
        }));
      const present = [configFile.url];
      try {
        for (const file of [...rest, ...extra]) if (await fetchOne(file)) present.push(file.url);
      } catch (error) {
        // A model that cannot fit leaves nothing behind (the small files fetched before its weights included).
        if (isPetitError(error, 'storage-quota') || isPetitError(error, 'model-too-large'))
          await store.discardIncomplete(prefix, { locked: true });
        throw error;
      }
      await store.keep(request, request.dtype, present);
    },
    { signal },
  );
}

/**
 * Refuses weights whose measured peak (estimates.ts) exceeds what the tab can count on, before their body is
 * downloaded: the tab would otherwise die mid-load, as Safari on iOS does above about 1.5 GB.
 */
function ensureMemory(request: WorkerLoadRequest, weightBytes: number): void {
  const budget = request.memoryBudget;
  if (!budget || weightBytes <= 0) return;
  const peak = estimatePeakBytes(weightBytes, request.dtype);
  if (peak <= budget.bytes) return;
  throw new PetitError(
    'model-too-large',
    `This model ${overBudget(peak, budget)}. Choose a smaller model or precision.`,
    { details: { peakBytes: peak, budgetBytes: budget.bytes } },
  );
}

const WEIGHTS_FILE = /^onnx\/model[^/]*\.onnx(_data(_\d+)?)?$/;

/** Removes what the backend could not read, so a retry downloads it afresh instead of failing again. */
async function discardModel(request: WorkerLoadRequest): Promise<void> {
  // Its index record goes too, so the Models screen does not list a model whose files are gone.
  await store.deleteModel(modelPrefix(request.hubUrl, request.repo, request.revision));
}

function describeLoadFailure(error: unknown, request: WorkerLoadRequest): PetitError {
  const message = error instanceof Error ? error.message : String(error);
  if (request.device === 'webgpu') {
    return new PetitError('webgpu-unavailable', `WebGPU could not run this model: ${message}`, {
      cause: error,
      details: { device: 'webgpu' },
    });
  }
  if (/tokenizer|chat_template|JSON/i.test(message) && !/onnx|protobuf|session/i.test(message)) {
    return new PetitError('invalid-model-config', `The model's tokenizer files cannot be read: ${message}`, {
      cause: error,
    });
  }
  if (/memory|allocation|OOM/i.test(message)) {
    return new PetitError(
      'out-of-memory',
      `This device ran out of memory loading the model. Choose a smaller model or dtype.`,
      { cause: error },
    );
  }
  return new PetitError(
    'invalid-model-file',
    `The model file could not be read (${message.slice(0, 200)}). It was removed from storage: download it again or choose another model.`,
    { cause: error },
  );
}

const api: InferenceWorkerApi = {
  async probe(): Promise<WorkerCapabilities> {
    capabilities ??= probeCapabilities();
    return capabilities;
  },

  async load(request: WorkerLoadRequest, onProgress: (event: LoadProgress) => void): Promise<RuntimeInfo> {
    const started = performance.now();
    const caps = await api.probe();
    if (request.device === 'webgpu' && !caps.webgpu) {
      throw new PetitError('webgpu-unavailable', 'This browser offers no WebGPU adapter.', {
        details: { device: 'webgpu' },
      });
    }
    if (request.kvCache !== undefined && typeof request.kvCache !== 'boolean') {
      throw new PetitError(
        'invalid-request',
        `\`kvCache\` must be true or false; got ${typeof request.kvCache}.`,
        {
          details: { field: 'kvCache' },
        },
      );
    }
    if (backend) await api.unload();
    loadController = new AbortController();
    const { signal } = loadController;
    const tracker = new ProgressTracker(request.repo, onProgress);
    const viaWebLlm = await loadWithWebLlm(request, tracker, signal, started);
    if (viaWebLlm.runtime) return viaWebLlm.runtime;
    if (viaWebLlm.fallbackReason) request = { ...request, fallbackReason: viaWebLlm.fallbackReason };
    const filesStarted = performance.now();
    try {
      await fetchModelFiles(request, tracker, signal);
    } finally {
      if (signal.aborted) loadController = null;
    }
    const filesMs = performance.now() - filesStarted;
    if (signal.aborted) throw abortError('Loading the model was cancelled.');

    tracker.send({ status: 'compile', device: request.device });
    const threads = request.device === 'wasm' ? wasmThreads(caps) : 1;
    const next = await createBackend();
    let contextLength: number;
    let phases: { name: string; ms: number }[];
    try {
      ({ contextLength, phases = [] } = await next.load({ ...request, threads }));
    } catch (error) {
      await next.unload().catch(() => {});
      const failure = describeLoadFailure(error, request);
      if (failure.code === 'invalid-model-file' || failure.code === 'invalid-model-config')
        await discardModel(request);
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
    if (params.responseFormat === 'json_object' && backend.name !== 'webllm') {
      throw new PetitError(
        'invalid-request',
        "`response_format: { type: 'json_object' }` needs the web-llm backend (a model with an MLC build on WebGPU); this model runs on transformers.js. Remove response_format or load a model web-llm runs.",
        { details: { field: 'response_format' } },
      );
    }
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

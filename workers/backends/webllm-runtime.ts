import type { AppConfig } from '@mlc-ai/web-llm';
import { abortError } from '../../src/engine/errors.ts';
import { DEFAULT_HUB_URL, type Dtype } from '../../src/engine/types.ts';
import type { Capabilities } from '../../src/models/capabilities.ts';
import type { CatalogEntry, MlcBuild, MlcQuantization } from '../../src/models/catalog.ts';
import { chooseRuntime } from '../../src/models/chooser.ts';
import { ensureRoomForFile } from '../../src/models/download-plan.ts';
import { ModelStore, modelPrefix, withModelLock } from '../../src/models/store.ts';
import { MLC_REVISION } from '../../src/models/stored.ts';
import { WebLlmBackend, type WebLlmEngine } from './webllm.backend.ts';
import { storeCache } from './webllm-store-cache.ts';

/** The closest ONNX dtype of an MLC quantization, for RuntimeInfo and the status bar. */
export const MLC_DTYPE: Record<MlcQuantization, Dtype> = {
  q4f16_1: 'q4',
  q4f32_1: 'q4',
  q0f16: 'fp16',
  q0f32: 'fp32',
};

/**
 * The MLC build the model manager's chooser picks for this entry on this device (shader-f16 respected), or null
 * when web-llm does not apply: no MLC build, no adapter, or nothing that fits.
 */
export function pickMlcBuild(
  entry: CatalogEntry | undefined,
  caps: Capabilities,
): { build: MlcBuild; reason: string } | null {
  if (!entry || entry.mlc.length === 0 || !caps.webgpu) return null;
  const choice = chooseRuntime(entry, caps, { backends: ['webllm'] });
  if (!choice.ok || choice.backend !== 'webllm') return null;
  const build = entry.mlc.find((b) => b.modelId === choice.modelId);
  return build ? { build, reason: choice.reason } : null;
}

/**
 * Where the compiled model library comes from: web-llm's own URL for the Hugging Face hub, and the same path on
 * the configured hub otherwise (a mirror serves `mlc-ai/binary-mlc-llm-libs` like any repository), so an offline
 * mirror needs no GitHub.
 */
export async function modelLibUrl(build: MlcBuild, hubUrl: string): Promise<string> {
  const { prebuiltAppConfig, modelVersion } = await import('@mlc-ai/web-llm');
  const prebuilt = prebuiltAppConfig.model_list.find((m) => m.model_id === build.modelId)?.model_lib;
  if (hubUrl.replace(/\/+$/, '') === DEFAULT_HUB_URL && prebuilt) return prebuilt;
  return `${hubUrl.replace(/\/+$/, '')}/mlc-ai/binary-mlc-llm-libs/resolve/main/web-llm-models/${modelVersion}/${build.modelLib}`;
}

/** web-llm's own overrides for a build (its prebuilt record's), which Petit's context window is merged into. */
export async function prebuiltOverrides(build: MlcBuild): Promise<Record<string, unknown>> {
  const { prebuiltAppConfig } = await import('@mlc-ai/web-llm');
  const record = prebuiltAppConfig.model_list.find((m) => m.model_id === build.modelId);
  return { ...record?.overrides };
}

export interface WebLlmStartHooks {
  signal: AbortSignal;
  onFile: (path: string) => void;
  onProgress: (path: string, loaded: number, total: number) => void;
  onDone: (path: string, fromCache: boolean) => void;
  /** web-llm has its files and is loading them onto the GPU. */
  onCompile: () => void;
  createEngine?: (appConfig: AppConfig) => Promise<WebLlmEngine>;
  /** `load({ kvCache: false })`: web-llm forgets its conversation before every request. Default true. */
  kvCache?: boolean;
}

/**
 * Loads an MLC build with web-llm, every file read and downloaded through the model store under a per-model
 * lock; the files it used are recorded in the model index (the Models screen lists and deletes them).
 */
export async function startWebLlm(
  store: ModelStore,
  build: MlcBuild,
  hubUrl: string,
  hooks: WebLlmStartHooks,
): Promise<WebLlmBackend> {
  const prefix = modelPrefix(hubUrl, build.repo, MLC_REVISION);
  const libUrl = await modelLibUrl(build, hubUrl);
  const overrides = await prebuiltOverrides(build);
  const path = (url: string) => (url.startsWith(prefix) ? url.slice(prefix.length) : url.split('/').pop()!);
  const used = new Set<string>();
  let compiling = false;
  const cache = storeCache(store, {
    signal: hooks.signal,
    onFile: (url) => {
      used.add(url);
      hooks.onFile(path(url));
    },
    onProgress: (url, loaded, total) => hooks.onProgress(path(url), loaded, total),
    onDone: (url, fromCache) => hooks.onDone(path(url), fromCache),
    beforeBody: (url, total, resumeFrom) => ensureRoomForFile(url, total, resumeFrom),
    // The library's URL is outside the model's prefix: it is listed and deleted with this model.
    owner: prefix,
  });
  const backend = new WebLlmBackend({
    target: {
      modelId: build.modelId,
      modelUrl: prefix,
      modelLibUrl: libUrl,
      contextWindow: build.contextWindow,
      requiredFeatures: build.shaderF16 ? ['shader-f16'] : [],
      overrides,
    },
    openCache: (scope) => (scope.startsWith('webllm/') ? cache : null),
    onProgress: (report) => {
      // web-llm reports downloads and GPU loading alike; bytes come from the store, the rest is compiling.
      if (!compiling && /loading|shader|GPU/i.test(report.text) && !/fetch/i.test(report.text)) {
        compiling = true;
        hooks.onCompile();
      }
    },
    ...(hooks.createEngine ? { createEngine: hooks.createEngine } : {}),
  });
  await withModelLock(
    prefix,
    async () => {
      try {
        await backend.load({
          repo: build.repo,
          revision: MLC_REVISION,
          hubUrl,
          dtype: MLC_DTYPE[build.quantization],
          device: 'webgpu',
          threads: 1,
          ...(hooks.kvCache !== undefined ? { kvCache: hooks.kvCache } : {}),
        });
      } catch (error) {
        // The model's lock is released only once no download web-llm started is still running.
        await cache.idle();
        await backend.unload().catch(() => {});
        throw error;
      }
      if (hooks.signal.aborted) {
        // web-llm's reload() returns quietly when aborted; the model is not loaded.
        await backend.unload().catch(() => {});
        throw abortError('Loading the model was cancelled.');
      }
      const files = [...used].filter((url) => url.startsWith(prefix) || url === libUrl);
      if (files.length > 0)
        await store.keep({ hubUrl, repo: build.repo, revision: MLC_REVISION }, build.quantization, files);
    },
    { signal: hooks.signal },
  );
  return backend;
}

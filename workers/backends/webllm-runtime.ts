import type { AppConfig } from '@mlc-ai/web-llm';
import { DEFAULT_HUB_URL, type Dtype } from '../../src/engine/types.ts';
import type { MlcBuild, MlcQuantization } from '../../src/models/catalog.ts';
import { fetchMlcFiles } from '../../src/models/mlc-files.ts';
import { modelPrefix, type ModelStore } from '../../src/models/store.ts';
import { MLC_REVISION } from '../../src/models/stored.ts';
import type { BackendLoadRequest } from './backend.ts';
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

export interface WebLlmHooks {
  /** web-llm has its files and is loading them onto the GPU. */
  onCompile: () => void;
  createEngine?: (appConfig: AppConfig) => Promise<WebLlmEngine>;
}

/**
 * A web-llm backend for an MLC build: `prepare` puts its files in the model store (fetchMlcFiles, under the
 * model's lock; they are then recorded in the model index), `load` reads them from the store alone.
 */
export async function createWebLlm(
  store: ModelStore,
  build: MlcBuild,
  hubUrl: string,
  hooks: WebLlmHooks,
): Promise<WebLlmBackend> {
  const prefix = modelPrefix(hubUrl, build.repo, MLC_REVISION);
  const libUrl = await modelLibUrl(build, hubUrl);
  const overrides = await prebuiltOverrides(build);
  const cache = storeCache(store);
  let compiling = false;
  return new WebLlmBackend({
    target: {
      modelId: build.modelId,
      modelUrl: prefix,
      modelLibUrl: libUrl,
      contextWindow: build.contextWindow,
      requiredFeatures: build.shaderF16 ? ['shader-f16'] : [],
      overrides,
    },
    prepare: ({ tracker, signal }) => fetchMlcFiles(store, build, hubUrl, libUrl, tracker, signal),
    openCache: (scope) => (scope.startsWith('webllm/') ? cache : null),
    onProgress: (report) => {
      // web-llm reports reading and GPU loading alike; the files come from the store, the rest is compiling.
      if (!compiling && /loading|shader|GPU/i.test(report.text) && !/fetch/i.test(report.text)) {
        compiling = true;
        hooks.onCompile();
      }
    },
    ...(hooks.createEngine ? { createEngine: hooks.createEngine } : {}),
  });
}

/** The load request of a build (what `prepare` and `load` are given). */
export function mlcLoadRequest(build: MlcBuild, hubUrl: string, kvCache?: boolean): BackendLoadRequest {
  return {
    repo: build.repo,
    revision: MLC_REVISION,
    hubUrl,
    dtype: MLC_DTYPE[build.quantization],
    device: 'webgpu',
    threads: 1,
    ...(kvCache !== undefined ? { kvCache } : {}),
  };
}

import type { InitProgressReport } from '@mlc-ai/web-llm';
import { modelVersion, prebuiltAppConfig } from '@mlc-ai/web-llm';
import type { PetitError } from '../../src/engine/errors.ts';
import type { LoadProgress } from '../../src/engine/types.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import { BUILTIN_CATALOG, type MlcBuild } from '../../src/models/catalog.ts';
import { ProgressTracker } from '../../src/models/load-progress.ts';
import { fetchMlcFiles } from '../../src/models/mlc-files.ts';
import { modelPrefix } from '../../src/models/store.ts';
import type { BackendLoadRequest } from './backend.ts';
import { WebLlmBackend, type WebLlmTarget } from './webllm.backend.ts';
import { FakeMlcEngine, type FakeOptions } from './webllm-fake-engine.ts';
import { memoryStore } from './webllm-fake-store.ts';
import { storeCache } from './webllm-store-cache.ts';

/** Test support shared by the web-llm tests: builds, targets on a local hub, and a loaded backend. */

export const smolBuild = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!.mlc.find(
  (b) => b.quantization === 'q0f32',
)!;
export const mistralBuild = BUILTIN_CATALOG.find((e) => e.id === 'mistral-7b-instruct-v0.3')!.mlc.find(
  (b) => b.quantization === 'q4f16_1',
)!;
export const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

export const libUrl = (hubUrl: string, lib: string) =>
  `${hubUrl}/mlc-ai/binary-mlc-llm-libs/resolve/main/web-llm-models/${modelVersion}/${lib}`;

export function target(hubUrl: string, build: MlcBuild = smolBuild, lib = build.modelLib): WebLlmTarget {
  const prebuilt = prebuiltAppConfig.model_list.find((m) => m.model_id === build.modelId);
  return {
    modelId: build.modelId,
    modelUrl: modelPrefix(hubUrl, build.repo, 'main'),
    modelLibUrl: libUrl(hubUrl, lib),
    contextWindow: build.contextWindow,
    requiredFeatures: build.shaderF16 ? ['shader-f16'] : [],
    overrides: { ...prebuilt?.overrides },
  };
}

export const LOAD = {
  repo: 'r',
  revision: 'main',
  hubUrl: '',
  dtype: 'fp32',
  device: 'webgpu',
  threads: 1,
} as const;

export function params(over: Partial<GenerationParams> = {}): GenerationParams {
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

/** The progress events of a prepare, and the hooks that collect them. */
export function prepareHooks(signal = new AbortController().signal) {
  const events: LoadProgress[] = [];
  const tracker = new ProgressTracker('test', (e) => events.push(e));
  return { events, hooks: { tracker, signal, entry: undefined } };
}

/** A web-llm backend over an in-memory store, prepared (its files fetched from the hub) then loaded. */
export async function loaded(
  hubUrl: string,
  options: FakeOptions = {},
  over: Partial<WebLlmTarget> = {},
  request: BackendLoadRequest = LOAD,
) {
  const store = memoryStore();
  let engine: FakeMlcEngine | null = null;
  const reports: InitProgressReport[] = [];
  const wanted = { ...target(hubUrl), ...over };
  const build = BUILTIN_CATALOG.flatMap((e) => e.mlc).find((b) => b.modelId === wanted.modelId)!;
  const backend = new WebLlmBackend({
    target: wanted,
    prepare: (hooks) => fetchMlcFiles(store, build, hubUrl, wanted.modelLibUrl, hooks.tracker, hooks.signal),
    openCache: (scope) => (scope.startsWith('webllm/') ? storeCache(store) : null),
    onProgress: (r) => reports.push(r),
    createEngine: async (appConfig) => (engine = new FakeMlcEngine(appConfig, options)),
  });
  const failure = await backend
    .prepare(request, prepareHooks().hooks)
    .then(() => backend.load(request))
    .then(
      () => null,
      (e: PetitError) => e,
    );
  return { backend, engine: engine!, store, reports, failure };
}

/** Streams one answer, returning what the user saw (the deltas) next to the outcome. */
export async function answer(backend: WebLlmBackend, p: GenerationParams) {
  const deltas: string[] = [];
  const outcome = await backend.generate(p, (d) => {
    if (d) deltas.push(d);
  });
  return { deltas, shown: deltas.join(''), outcome };
}

export const fileOf = (url: string) => url.split('/').pop();

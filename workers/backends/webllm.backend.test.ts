import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '@mlc-ai/web-llm';
import { modelVersion, prebuiltAppConfig } from '@mlc-ai/web-llm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PetitError, isPetitError } from '../../src/engine/errors.ts';
import type { ChatMessage } from '../../src/engine/protocol.ts';
import type { MlcBuild } from '../../src/models/catalog.ts';
import type { ModelStore } from '../../src/models/store.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { writeMlcModel, writeModelLibrary } from '../../tools/hub/mlc-model-writer.ts';
import { estimateTokens, WebLlmBackend, type WebLlmTarget } from './webllm.backend.ts';
import { FakeMlcEngine, type FakeOptions } from './webllm-fake-engine.ts';
import * as kit from './webllm-fake-kit.ts';
import { memoryStore } from './webllm-fake-store.ts';
import { createWebLlm, mlcLoadRequest } from './webllm-runtime.ts';
import { storeCache } from './webllm-store-cache.ts';

/** web-llm's loading sequence and failures (answers, stop strings and the KV cache: webllm-answers.test.ts). */

const { smolBuild, mistralBuild, WASM, LOAD, params, fileOf, prepareHooks } = kit;
const engineHooks = (options: FakeOptions) => ({
  onCompile: () => {},
  createEngine: async (appConfig: AppConfig) => new FakeMlcEngine(appConfig, options),
});
const libUrl = (lib: string) => kit.libUrl(hub.url, lib);
const target = (build?: MlcBuild, lib?: string) => kit.target(hub.url, build, lib);
const loaded = (options?: FakeOptions, over?: Partial<WebLlmTarget>) => kit.loaded(hub.url, options, over);

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
      openCache: () => storeCache(store),
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

  it('a shard that fails mid-way fails prepare: nothing left downloading, nothing kept, and load never downloads', async () => {
    hub.faults.add({ match: `${smolBuild.repo}/params_shard_0.bin`, cutAfterBytes: 1000 });
    const store = memoryStore();
    const backend = await createWebLlm(store as unknown as ModelStore, smolBuild, hub.url, engineHooks({}));
    const error = await backend
      .prepare(mlcLoadRequest(smolBuild, hub.url), prepareHooks().hooks)
      .catch((e: PetitError) => e);
    expect(error?.code).toBe('download-failed');
    expect(error?.message).toMatch(/connection dropped/);
    expect(store.inFlight).toBe(0);
    expect(store.kept).toEqual([]);
    // Loading anyway reads the store alone: the missing shard is a bad model file, not a download.
    hub.requests.reset();
    const failure = await backend.load(mlcLoadRequest(smolBuild, hub.url)).catch((e: PetitError) => e);
    expect(failure).toMatchObject({ code: 'invalid-model-file', message: /params_shard_0\.bin/ });
    expect(hub.requests.count()).toBe(0);
  });

  it('honours the prepare’s signal: cancelling mid-download stops it and keeps nothing', async () => {
    hub.faults.add({ match: `${smolBuild.repo}/params_shard_2.bin`, stallAfterBytes: 100 });
    const store = memoryStore();
    const backend = await createWebLlm(store as unknown as ModelStore, smolBuild, hub.url, engineHooks({}));
    const cancel = new AbortController();
    const { events, hooks } = prepareHooks(cancel.signal);
    const watching = setInterval(() => {
      if (events.some((e) => e.status === 'download' && e.file === 'params_shard_2.bin')) cancel.abort();
    }, 5);
    const error = await backend
      .prepare(mlcLoadRequest(smolBuild, hub.url), hooks)
      .catch((e: PetitError) => e)
      .finally(() => clearInterval(watching));
    expect(error?.code).toBe('aborted');
    expect(store.inFlight).toBe(0);
    expect(store.kept).toEqual([]);
    expect(hub.requests.count(`${smolBuild.repo}/params_shard_3.bin`)).toBe(0);
  });

  it('prepare records every file, library included; after a failed load the next one reads the store alone', async () => {
    const store = memoryStore();
    const request = mlcLoadRequest(smolBuild, hub.url);
    const first = await createWebLlm(
      store as unknown as ModelStore,
      smolBuild,
      hub.url,
      engineHooks({ loseDeviceOnLoad: true }),
    );
    await first.prepare(request, prepareHooks().hooks);
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
    expect(isPetitError(await first.load(request).catch((e: unknown) => e), 'out-of-memory')).toBe(true);
    hub.requests.reset();
    const again = await createWebLlm(store as unknown as ModelStore, smolBuild, hub.url, engineHooks({}));
    const { events, hooks } = prepareHooks();
    await again.prepare(request, hooks);
    await again.load(request);
    expect(hub.requests.count()).toBe(0);
    expect(events.filter((e) => e.status === 'done').every((e) => e.fromCache)).toBe(true);
    await again.unload();
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

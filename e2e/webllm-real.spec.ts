import { modelVersion } from '@mlc-ai/web-llm';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { stubModelLibrary, writeMlcModel, writeModelLibrary } from '../tools/hub/mlc-model-writer.ts';
import { HUB_URL, MLC_BUILD, MLC_ONNX_MODEL } from './env.ts';
import { addHubFault, expect, hubControl, resetHub, test } from './fixtures.ts';

/**
 * The real web-llm 0.2.86, in Chromium on SwiftShader WebGPU, loading an MLC-layout model from the local hub
 * through Petit's model store. No MLC model library can be compiled or downloaded here, so the hub serves a stub
 * library (tools/hub/mlc-model-writer.ts) that exports just enough of TVM's ABI for web-llm to build its runtime:
 * web-llm then reads its config and library, detects the GPU, loads the tokenizer, reads tensor-cache.json, asks
 * keys(), downloads the shards in its four parallel loops and reads the first one back; it stops at the first
 * tensor it allocates on the GPU (the stub has no kernels). Everything up to there is web-llm's own code.
 */
const HUB_ROOT =
  process.env.PETIT_E2E_HUB_ROOT ?? fileURLToPath(new URL('../.cache/e2e-hub', import.meta.url));
const SHARDS = 8;
const STUB_MESSAGE = "Petit's stub model library has no kernels";
const PREFIX = `${HUB_URL}/${MLC_BUILD.repo}/resolve/main/`;
const LIB_PATH = `mlc-ai/binary-mlc-llm-libs/web-llm-models/${modelVersion}/${MLC_BUILD.modelLib}`;
const LIB_URL = `${HUB_URL}/${LIB_PATH.replace('/web-llm-models/', '/resolve/main/web-llm-models/')}`;
const SHARD_FILES = Array.from({ length: SHARDS }, (_, i) => `params_shard_${i}.bin`);
const MODEL_FILES = ['mlc-chat-config.json', 'tokenizer.json', 'tensor-cache.json', ...SHARD_FILES];

test.beforeAll(() => {
  writeMlcModel(HUB_ROOT, {
    repo: MLC_BUILD.repo,
    shards: SHARDS,
    shardBytes: 64 * 1024,
    config: { context_window_size: MLC_BUILD.contextWindow },
  });
  writeModelLibrary(HUB_ROOT, modelVersion, MLC_BUILD.modelLib, stubModelLibrary(STUB_MESSAGE));
});

test.afterAll(() => {
  // e2e/webllm.spec.ts expects this build without a library (a 404): leave the hub as it found it.
  rmSync(join(HUB_ROOT, MLC_BUILD.repo), { recursive: true, force: true });
  rmSync(join(HUB_ROOT, LIB_PATH), { force: true });
});

test.beforeEach(async () => {
  await resetHub();
});

interface HubEntry {
  file: string;
  range?: string;
  status: number;
}

async function hubEntries(): Promise<HubEntry[]> {
  return ((await hubControl('requests')) as { entries: HubEntry[] }).entries;
}

const mlcFile = (entry: HubEntry) =>
  entry.file.startsWith(`${MLC_BUILD.repo}/`) ? entry.file.slice(MLC_BUILD.repo.length + 1) : entry.file;

/** Loads the MLC build with web-llm only (no fallback), returning the typed error it ends with. */
async function loadWithWebLlm(page: Page): Promise<{ code?: string; message: string }> {
  return page.evaluate(
    async ({ id, hubUrl }) => {
      const petit = (window as unknown as { petit: import('../src/index.ts').PetitEngine }).petit;
      try {
        await petit.load({ id, hubUrl, backend: 'webllm' });
        return { code: 'loaded', message: '' };
      } catch (error) {
        const e = error as { code?: string; message: string };
        return { code: e.code, message: e.message };
      }
    },
    { id: MLC_ONNX_MODEL, hubUrl: HUB_URL },
  );
}

/** The model store's copy of each file (Cache Storage), with the headers Petit wrote. */
async function storeHeaders(page: Page): Promise<Record<string, Record<string, string>>> {
  return page.evaluate(async () => {
    const cache = await caches.open('petit-models-v1');
    const out: Record<string, Record<string, string>> = {};
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out[request.url] = Object.fromEntries(response!.headers.entries());
    }
    return out;
  });
}

/** Downloads in progress or interrupted, from the model store's IndexedDB journal. */
async function journal(page: Page): Promise<{ url: string; received: number }[]> {
  return page.evaluate(
    () =>
      new Promise<{ url: string; received: number }[]>((resolve, reject) => {
        const open = indexedDB.open('petit-downloads');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('partials').objectStore('partials').getAll();
          all.onsuccess = () => {
            open.result.close();
            resolve(
              (all.result as { url: string; received: number }[]).map(({ url, received }) => ({
                url,
                received,
              })),
            );
          };
        };
      }),
  );
}

test.describe('the real web-llm on SwiftShader WebGPU, through the model store', () => {
  test.use({ webgpu: true });
  test.setTimeout(180_000);

  test('downloads config, library, tokenizer, tensor-cache.json and every shard into the store; a second load reads only the store', async ({
    page,
  }) => {
    await page.goto('/');
    const first = await loadWithWebLlm(page);
    // As far as it goes: the first GPU tensor, after every file was fetched and the first shard read back.
    expect(first.code, first.message).toBe('backend-unavailable');
    expect(first.message).toContain(STUB_MESSAGE);

    const entries = await hubEntries();
    const order = entries.map(mlcFile);
    expect(order.slice(0, 4)).toEqual([
      'mlc-chat-config.json',
      LIB_PATH,
      'tokenizer.json',
      'tensor-cache.json',
    ]);
    expect(order.slice(4).sort()).toEqual([...SHARD_FILES].sort());
    expect(entries.every((e) => e.status === 200)).toBe(true);

    const stored = await storeHeaders(page);
    for (const file of MODEL_FILES) {
      expect(stored[PREFIX + file], `${file} in the store`).toBeDefined();
      expect(stored[PREFIX + file]['x-petit-verified']).toBe('etag');
    }
    // The library sits outside the model's prefix; it is stored for this model.
    expect(stored[LIB_URL]['x-petit-model']).toBe(PREFIX);

    // Again: every file comes from the store, and web-llm stops at the same place.
    await resetHub();
    const second = await loadWithWebLlm(page);
    expect(second.code).toBe('backend-unavailable');
    expect((await hubEntries()).length).toBe(0);

    // The Models screen lists one model (incomplete: it never loaded), not the library as a model of its own,
    // and deleting it deletes the library too.
    await page.getByTestId('open-models').click();
    const item = page.locator(`[data-testid="stored-model"][data-repo="${MLC_BUILD.repo}"]`);
    await expect(item).toBeVisible();
    await expect(
      page.locator('[data-testid="stored-model"][data-repo="mlc-ai/binary-mlc-llm-libs"]'),
    ).toHaveCount(0);
    await item.getByTestId('delete-model').click();
    await item.getByTestId('confirm-delete').click();
    await expect(item).toHaveCount(0);
    const left = Object.keys(await storeHeaders(page));
    expect(left.filter((url) => url.startsWith(PREFIX) || url === LIB_URL)).toEqual([]);
  });

  test('a shard that fails mid-way stops the other loops; the next load resumes it and fetches the rest', async ({
    page,
  }) => {
    // Four loops of two shards: shard 0 is cut after 20 kB, the first shard of every other loop hangs.
    await addHubFault({ match: `${MLC_BUILD.repo}/params_shard_0.bin`, cutAfterBytes: 20_000, times: 1 });
    for (const i of [2, 4, 6])
      await addHubFault({
        match: `${MLC_BUILD.repo}/params_shard_${i}.bin`,
        stallAfterBytes: 1000,
        times: 1,
      });
    await page.goto('/');
    const failed = await loadWithWebLlm(page);
    expect(failed.code).toBe('download-failed');
    expect(failed.message).toContain('params_shard_0.bin');

    // The hanging downloads were cancelled rather than left running: each loop stopped at its first shard.
    const firstTry = (await hubEntries()).map(mlcFile);
    for (const i of [1, 3, 5, 7]) expect(firstTry).not.toContain(`params_shard_${i}.bin`);
    const stored = await storeHeaders(page);
    expect(Object.keys(stored).filter((u) => u.includes('params_shard_'))).toEqual([]);
    // Only the cut shard waits in the download journal (with what reached the page before the socket closed:
    // up to 20 kB); the cancelled ones were discarded, not left running.
    const partials = await journal(page);
    expect(partials.map((p) => p.url)).toEqual([PREFIX + 'params_shard_0.bin']);
    const kept = partials[0].received;
    expect(kept).toBeLessThanOrEqual(20_000);

    await resetHub();
    const again = await loadWithWebLlm(page);
    expect(again.code).toBe('backend-unavailable');
    const secondTry = await hubEntries();
    // Shard 0 continues from the bytes kept (a Range request), the others download whole.
    const shard0 = secondTry.filter((e) => mlcFile(e) === 'params_shard_0.bin');
    expect(shard0).toHaveLength(1);
    expect(shard0[0].range).toBe(kept > 0 ? `bytes=${kept}-` : undefined);
    expect(shard0[0].status).toBe(kept > 0 ? 206 : 200);
    expect(
      secondTry
        .map(mlcFile)
        .filter((f) => f.startsWith('params_shard_'))
        .sort(),
    ).toEqual([...SHARD_FILES].sort());
    const complete = await storeHeaders(page);
    for (const file of SHARD_FILES) expect(complete[PREFIX + file]?.['x-petit-verified']).toBe('etag');
  });
});

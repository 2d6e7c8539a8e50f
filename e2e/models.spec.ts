import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from '@playwright/test';
import { startHub, type Hub } from '../tools/hub/hub-server.ts';
import {
  APP_URL,
  HUB_URL,
  MIRROR_PORT,
  MIRROR_URL,
  PINNED_MODEL,
  PINNED_REVISION,
  SIZED_MODEL,
  TINY_MODEL,
} from './env.ts';
import {
  addHubFault,
  expect,
  hubControl,
  hubRequests,
  loadFromPicker,
  resetHub,
  storedFiles,
  test,
  type PetitFixtures,
} from './fixtures.ts';

const HUB_ROOT =
  process.env.PETIT_E2E_HUB_ROOT ?? fileURLToPath(new URL('../.cache/e2e-hub', import.meta.url));
const TINY_DIR = join(HUB_ROOT, TINY_MODEL);
const TINY_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
const fileUrl = (repo: string, path: string, revision = 'main') =>
  `${HUB_URL}/${repo}/resolve/${revision}/${path}`;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface HubEntry {
  method: string;
  file?: string;
  range?: string;
  status: number;
}

async function hubLog(file?: string): Promise<HubEntry[]> {
  const { entries } = (await hubControl('requests')) as { entries: HubEntry[] };
  return entries.filter((e) => file === undefined || e.file === file);
}

async function expectError(page: Page, code: string, text: RegExp | string): Promise<void> {
  const banner = page.getByTestId('error');
  await expect(banner).toHaveAttribute('data-code', code);
  await expect(banner).toContainText(text);
}

async function expectReady(page: Page, timeout = 60_000): Promise<void> {
  await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout });
}

/** The download journal in IndexedDB: partial files and their stored chunks. */
async function journal(
  page: Page,
): Promise<{ partials: { url: string; received: number }[]; chunks: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('petit-downloads');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('partials')) return resolve({ partials: [], chunks: 0 });
          const tx = db.transaction(['partials', 'chunks'], 'readonly');
          const partials = tx.objectStore('partials').getAll();
          const chunks = tx.objectStore('chunks').count();
          tx.oncomplete = () => {
            db.close();
            resolve({
              partials: (partials.result as { url: string; received: number }[]).map(({ url, received }) => ({
                url,
                received,
              })),
              chunks: chunks.result,
            });
          };
        };
      }),
  );
}

async function storedHeader(page: Page, url: string, name: string): Promise<string | null> {
  return page.evaluate(
    async ([u, n]) => (await (await caches.open('petit-models-v1')).match(u))?.headers.get(n) ?? null,
    [url, name] as const,
  );
}

/**
 * A small quota, made two ways at once. Chromium enforces one set through the DevTools protocol
 * (`Storage.overrideQuotaForOrigin`: writes past it fail with QuotaExceededError, as on a full disk) but its
 * `navigator.storage.estimate()` keeps reporting a 10 GiB quota here, so estimate() is patched to report the same
 * number in the page (init script) and in the inference worker (its script, rewritten on its way in) — as browsers
 * that report their real quota do.
 */
async function simulateQuota(page: Page, context: BrowserContext, quota: number): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(APP_URL).origin, quotaSize: quota });
  const patch = `{ const real = StorageManager.prototype.estimate; StorageManager.prototype.estimate = async function () { return { ...(await real.call(this)), quota: ${quota} }; }; }\n`;
  await context.addInitScript(patch);
  await context.route('**/assets/inference.worker-*.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: patch + (await response.text()) });
  });
}

async function usage(page: Page): Promise<number> {
  return page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}

test.describe('the model manager', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 16 } });
  test.beforeEach(resetHub);
  test.afterEach(resetHub);

  test('progress then ready; the Models screen lists it with its size; a reload loads it with zero hub requests', async ({
    page,
  }) => {
    await page.goto('/');
    await addHubFault({ match: `${TINY_MODEL}/onnx/*`, bytesPerSecond: 600_000 });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('download-progress')).toBeVisible();
    await expect(page.getByTestId('download-bytes')).toContainText(/of 9\d\d kB/);
    await expectReady(page);
    expect(await storedHeader(page, fileUrl(TINY_MODEL, 'onnx/model.onnx'), 'x-petit-verified')).toBe('etag');
    expect(await storedHeader(page, fileUrl(TINY_MODEL, 'onnx/model.onnx'), 'x-petit-sha256')).toBe(
      sha256(join(TINY_DIR, 'onnx/model.onnx')),
    );

    await page.getByTestId('open-models').click();
    await expect(page.locator(`[data-testid=stored-model][data-repo="${TINY_MODEL}"]`)).toContainText(
      /32-bit.*9\d\d kB.*last used today/s,
    );
    await expect(page.getByTestId('stored-model')).toHaveCount(1);
    await page.getByTestId('close-models').click();

    await resetHub();
    await page.reload();
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);
    expect((await hubRequests()).total).toBe(0);
  });

  test('a connection cut at a random offset, then a reload, resumes with a Range request from the bytes kept', async ({
    page,
  }) => {
    const file = `${TINY_MODEL}/onnx/model.onnx`;
    const size = statSync(join(TINY_DIR, 'onnx/model.onnx')).size;
    const cut = 50_000 + Math.floor(Math.random() * (size - 100_000));
    test.info().annotations.push({ type: 'cut offset', description: `${cut} of ${size} bytes` });
    await page.goto('/');
    // Throttled so the bytes arrive over a few tenths of a second, as over a real network: a browser drops what it
    // had not handed to the page when the connection fails.
    await addHubFault({ match: file, cutAfterBytes: cut, bytesPerSecond: 1_500_000, times: 1 });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectError(page, 'download-failed', /connection dropped.*kept.*Load again to continue/);
    const { partials } = await journal(page);
    expect(partials).toHaveLength(1);
    const kept = partials[0].received;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    expect(await storedFiles(page)).not.toContain(fileUrl(TINY_MODEL, 'onnx/model.onnx'));

    await page.reload();
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);
    const gets = (await hubLog(file)).filter((e) => e.method === 'GET');
    expect(gets.map((e) => e.range ?? null)).toEqual([null, `bytes=${kept}-`]);
    expect(gets[1].status).toBe(206);
    expect(await storedHeader(page, fileUrl(TINY_MODEL, 'onnx/model.onnx'), 'x-petit-sha256')).toBe(
      sha256(join(TINY_DIR, 'onnx/model.onnx')),
    );
    expect(await journal(page)).toEqual({ partials: [], chunks: 0 });
  });

  test('cancel mid-download leaves nothing: no file, no partial bytes', async ({ page }) => {
    const file = `${TINY_MODEL}/onnx/model.onnx`;
    await page.goto('/');
    // First leave bytes in the journal (a cut), then cancel the resumed download while it runs.
    await addHubFault({ match: file, cutAfterBytes: 300_000, bytesPerSecond: 1_500_000, times: 1 });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectError(page, 'download-failed', /kept/);
    expect((await journal(page)).partials).toEqual([
      { url: fileUrl(TINY_MODEL, 'onnx/model.onnx'), received: expect.any(Number) },
    ]);
    expect((await journal(page)).chunks).toBeGreaterThan(0);
    await addHubFault({ match: file, bytesPerSecond: 100_000 });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('download-bytes')).toContainText(/kB of/);
    await page.getByTestId('cancel-load').click();
    await expect(page.getByTestId('download-progress')).toBeHidden();
    await expect.poll(async () => (await journal(page)).partials.length).toBe(0);
    await expect
      .poll(async () => (await storedFiles(page)).filter((u) => u.includes(TINY_MODEL)))
      .toEqual([]);
    expect((await journal(page)).chunks).toBe(0);
  });

  test('a corrupt file is refused with a clear message and not kept; a wrong pinned hash too', async ({
    page,
  }) => {
    await page.goto('/');
    await addHubFault({ match: `${TINY_MODEL}/onnx/model_quantized.onnx`, corrupt: true, times: 1 });
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectError(
      page,
      'integrity-mismatch',
      /model_quantized\.onnx is damaged: its SHA-256 does not match the hub/,
    );
    expect(await storedFiles(page)).not.toContain(fileUrl(TINY_MODEL, 'onnx/model_quantized.onnx'));
    expect(await journal(page)).toEqual({ partials: [], chunks: 0 });

    await loadFromPicker(page, 'tiny-bad-pin', 'q8');
    await expectError(
      page,
      'integrity-mismatch',
      /generation_config\.json is damaged: its SHA-256 does not match the catalog/,
    );

    // The right pin: checked against the catalog, not the hub.
    await loadFromPicker(page, 'tiny-pinned', 'q8');
    await expectReady(page);
    const pinnedUrl = fileUrl(PINNED_MODEL, 'generation_config.json', PINNED_REVISION);
    expect(await storedHeader(page, pinnedUrl, 'x-petit-verified')).toBe('catalog');
  });

  test('a quota too small is refused before any byte is fetched', async ({ page, context }) => {
    await page.goto('/');
    const quota = (await usage(page)) + 300_000;
    await simulateQuota(page, context, quota);
    await page.reload();
    expect(await page.evaluate(async () => (await navigator.storage.estimate()).quota)).toBe(quota);
    await resetHub();

    // Sizes known to the catalog: the picker says why before Load can be pressed, and the engine refuses it
    // before any request reaches the hub.
    await page.getByTestId('model-select').selectOption('tiny-sized');
    await expect(page.getByTestId('model-choice')).toContainText(
      /Cannot run here: Needs \d+ kB of storage; this browser allows \d+ kB more \(8-bit on WASM/,
    );
    await expect(page.getByTestId('load-model')).toBeDisabled();
    const refused = await page.evaluate(
      ({ model, hub }) =>
        (window as unknown as { petit: { load(spec: unknown): Promise<unknown> } }).petit
          .load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub })
          .then(
            () => ({ code: 'loaded', message: '' }),
            (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
          ),
      { model: SIZED_MODEL, hub: HUB_URL },
    );
    expect(refused.code).toBe('storage-quota');
    expect(refused.message).toMatch(/needs 1\.\d MB of storage, but the browser allows only \d+ KB more/);
    expect(await hubLog()).toEqual([]);

    // Sizes unknown (a repository not in the catalog): the download starts and the browser refuses to store the
    // weights (the quota Chromium enforces); the small files fetched before them are removed too. The worker's
    // script is no longer patched here (request interception would also catch the hub's files), so its estimate()
    // sees room and the write is what fails.
    await context.unroute('**/assets/inference.worker-*.js');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectError(
      page,
      'storage-quota',
      `The browser refused to store ${TINY_MODEL}: onnx/model.onnx: its storage for this site is full. Delete models you no longer use (Models), or choose a smaller model.`,
    );
    expect(await storedFiles(page)).toEqual([]);
    expect(await journal(page)).toEqual({ partials: [], chunks: 0 });

    // A catalog model with known sizes is refused by the chooser before Load can even be pressed.
    await page.getByTestId('model-select').selectOption('smollm2-135m-instruct');
    await expect(page.getByTestId('model-choice')).toContainText(/Cannot run here: Needs .* of storage/);
    await expect(page.getByTestId('load-model')).toBeDisabled();
  });

  test('delete frees the space reported by navigator.storage.estimate()', async ({ page }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);
    const files = [...TINY_FILES, 'onnx/model.onnx'];
    const modelBytes = files.reduce((sum, f) => sum + statSync(join(TINY_DIR, f)).size, 0);
    const before = await usage(page);

    await page.getByTestId('open-models').click();
    const row = page.locator(`[data-testid=stored-model][data-repo="${TINY_MODEL}"]`);
    await row.getByTestId('delete-model').click();
    await row.getByTestId('confirm-delete').click();
    await expect(row).toHaveCount(0);
    await expect(page.getByTestId('models-notice')).toContainText(/freed/);
    await expect.poll(async () => before - (await usage(page))).toBeGreaterThanOrEqual(modelBytes * 0.95);
    expect(await storedFiles(page)).toEqual([]);
    test.info().annotations.push({
      type: 'freed',
      description: `${before - (await usage(page))} bytes reported freed for ${modelBytes} bytes of files`,
    });
  });

  test('two tabs loading the same model download each file once', async ({ page, context }) => {
    await addHubFault({ match: `${TINY_MODEL}/onnx/*`, bytesPerSecond: 400_000 });
    const second = await context.newPage();
    await Promise.all([page.goto('/'), second.goto('/')]);
    await Promise.all([
      loadFromPicker(page, 'tiny-llama', 'fp32'),
      loadFromPicker(second, 'tiny-llama', 'fp32'),
    ]);
    await expectReady(page);
    await expectReady(second);
    const gets = (await hubLog()).filter((e) => e.method === 'GET').map((e) => e.file);
    expect(gets.sort()).toEqual([...TINY_FILES, 'onnx/model.onnx'].map((f) => `${TINY_MODEL}/${f}`).sort());
  });

  test('the Models screen works from the keyboard and shows a model card', async ({ page }) => {
    await page.goto('/');
    await page.getByTestId('open-models').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('models-screen')).toBeVisible();
    await expect(page.getByTestId('persistence')).toContainText(/Not kept yet|Kept/);
    await expect(page.getByTestId('storage-free')).toContainText(/B$/);
    const item = page.locator('[data-testid=catalog-item][data-id="llama-3.2-1b-instruct"]');
    await item.focus();
    await page.keyboard.press('Enter');
    const card = page.getByTestId('model-card');
    await expect(card).toContainText('Llama 3.2 1B Instruct');
    await expect(card.getByTestId('card-license')).toContainText('Llama 3.2 Community License');
    await expect(card.getByTestId('card-training-data')).toContainText('Not published');
    await expect(card.getByTestId('card-revision')).toContainText(
      /the catalog pins no revision: the first download pins the commit/i,
    );
    await expect(card.getByTestId('model-choice')).toContainText(/on WASM|Cannot run here/);
    await page.locator('[data-testid=catalog-item][data-id="ministral-8b-instruct-2410"]').click();
    await expect(card.getByTestId('model-choice')).toContainText(
      /Cannot run here: There is no ONNX or MLC build/,
    );
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('models-screen')).toBeHidden();
  });

  test('a model folder from disk loads through the same store, with no request to any hub', async ({
    page,
  }) => {
    await page.goto('/');
    await page.getByTestId('open-models').click();
    const empty = mkdtempSync(join(tmpdir(), 'petit-not-a-model-'));
    writeFileSync(join(empty, 'README.md'), '# not a model\n');
    try {
      await page.getByTestId('add-folder-input').setInputFiles(empty);
      await expect(page.getByTestId('import-status')).toContainText(
        /is not a transformers\.js model: it lacks config\.json/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    await page.getByTestId('add-folder-input').setInputFiles(TINY_DIR);
    await expect(page.getByTestId('import-status')).toContainText(/Added tiny-llama \(32-bit, 8-bit/);
    await expect(page.locator('[data-testid=stored-model][data-repo="local/tiny-llama"]')).toContainText(
      /from disk/,
    );
    await page.getByTestId('close-models').click();

    await resetHub();
    await loadFromPicker(page, 'local:tiny-llama', 'q8');
    await expectReady(page);
    await page.getByTestId('prompt').fill('Hello from a folder');
    await page.getByTestId('prompt').press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete');
    expect((await hubRequests()).total).toBe(0);
  });
});

test.describe('a model dropped on the Models screen', () => {
  test.beforeEach(resetHub);

  test('loose files dropped together become a model that loads from the store', async ({ page }) => {
    await page.goto('/');
    await page.getByTestId('open-models').click();
    const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx'].map(
      (path) => ({
        name: path.split('/').pop()!,
        base64: readFileSync(join(TINY_DIR, path)).toString('base64'),
      }),
    );
    const dataTransfer = await page.evaluateHandle((list) => {
      const data = new DataTransfer();
      for (const { name, base64 } of list) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        data.items.add(new File([bytes], name));
      }
      return data;
    }, files);
    await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    await expect(page.getByTestId('import-status')).toContainText(/Added dropped-model \(8-bit/);
    await page.getByTestId('close-models').click();
    await loadFromPicker(page, 'local:dropped-model', 'q8');
    await expectReady(page);
    expect((await hubRequests()).total).toBe(0);
  });
});

test.describe('a hub mirror set in Settings', () => {
  let mirror: Hub;
  test.use({
    initialSettings: { temperature: 0, hubUrl: MIRROR_URL } as Record<string, unknown>,
    extraAllowedOrigins: [MIRROR_URL] as PetitFixtures['extraAllowedOrigins'],
  });
  test.beforeAll(async () => {
    mirror = await startHub({ root: HUB_ROOT, port: MIRROR_PORT });
  });
  test.afterAll(async () => mirror.close());

  test('every file comes from the mirror, none from the default hub', async ({ page }) => {
    await resetHub();
    await page.goto('/');
    await expect(page.locator('.hub-line')).toContainText(`127.0.0.1:${MIRROR_PORT}`);
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectReady(page);
    expect(mirror.requests.count(`${TINY_MODEL}/onnx/model_quantized.onnx`)).toBe(1);
    expect((await hubRequests()).total).toBe(0);
  });
});

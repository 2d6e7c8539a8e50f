import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { CommitTable } from '../tools/hub/commits.ts';
import { HUB_URL, TINY_MODEL } from './env.ts';
import { addHubFault, expect, hubControl, loadFromPicker, resetHub, storedFiles, test } from './fixtures.ts';

/**
 * Pinning what was downloaded (issue 16, point 4), in Chromium against the local hub: the first download records
 * the commit and every file's SHA-256; moving the hub's `main` changes nothing a later download or resume fetches;
 * a file changed under the same commit is refused and not kept; "Check for update" says what changed and
 * downloads only once the user accepts.
 */

const HUB_ROOT =
  process.env.PETIT_E2E_HUB_ROOT ?? fileURLToPath(new URL('../.cache/e2e-hub', import.meta.url));
const TINY_DIR = join(HUB_ROOT, TINY_MODEL);
const FIRST = CommitTable.initial(TINY_MODEL);
const PREFIX = `${HUB_URL}/${TINY_MODEL}/resolve/main/`;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const onDisk = (path: string) => readFileSync(join(TINY_DIR, path));
const NEW_GENERATION_CONFIG = '{\n  "bos_token_id": 1,\n  "eos_token_id": 2,\n  "max_new_tokens": 8\n}\n';

interface HubEntry {
  method: string;
  file?: string;
  revision?: string;
  range?: string;
  status: number;
}

async function hubLog(): Promise<HubEntry[]> {
  return ((await hubControl('requests')) as { entries: HubEntry[] }).entries.filter((e) => e.file);
}

async function moveMain(files: Record<string, Buffer | string>): Promise<string> {
  const body = {
    repo: TINY_MODEL,
    files: Object.fromEntries(Object.entries(files).map(([p, b]) => [p, Buffer.from(b).toString('base64')])),
  };
  const { commit } = (await hubControl('commits', { method: 'POST', body: JSON.stringify(body) })) as {
    commit: string;
  };
  return commit;
}

/** The pin record and the journal's partial files, read from IndexedDB in the page. */
async function pinAndJournal(page: Page): Promise<{
  pin: { commit: string; files: Record<string, { sha256: string; size: number }> } | null;
  partials: string[];
}> {
  return page.evaluate(
    (prefix) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('petit-downloads');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['pins', 'partials'], 'readonly');
          const pin = tx.objectStore('pins').get(prefix);
          const partials = tx.objectStore('partials').getAllKeys();
          tx.oncomplete = () => {
            db.close();
            resolve({ pin: pin.result ?? null, partials: partials.result as string[] });
          };
        };
      }),
    PREFIX,
  );
}

async function storedSha(page: Page, path: string): Promise<string | null> {
  return page.evaluate(
    async (url) =>
      (await (await caches.open('petit-models-v1')).match(url))?.headers.get('x-petit-sha256') ?? null,
    PREFIX + path,
  );
}

async function expectReady(page: Page): Promise<void> {
  await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 60_000 });
}

async function expectError(page: Page, code: string, text: RegExp): Promise<void> {
  const banner = page.getByTestId('error');
  await expect(banner).toHaveAttribute('data-code', code);
  await expect(banner).toContainText(text);
}

function storedRow(page: Page) {
  return page.locator(`[data-testid=stored-model][data-repo="${TINY_MODEL}"]`);
}

test.describe('pinning what was downloaded', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 8 } });
  test.beforeEach(resetHub);
  test.afterEach(resetHub);

  test('the first download pins the commit and SHA-256s; a moved main changes no later download or resume; a file changed under the commit is refused', async ({
    page,
  }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);

    const fp32 = [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'onnx/model.onnx',
    ];
    const { pin } = await pinAndJournal(page);
    expect(pin?.commit).toBe(FIRST);
    expect(Object.keys(pin!.files).sort()).toEqual([...fp32].sort());
    for (const path of fp32)
      expect(pin!.files[path]).toEqual({ sha256: sha256(onDisk(path)), size: onDisk(path).length });
    // config.json told the commit; everything after it came from that commit, not from main.
    const first = await hubLog();
    expect(first.filter((e) => e.revision === 'main').map((e) => e.file)).toEqual([
      `${TINY_MODEL}/config.json`,
    ]);
    expect(first.filter((e) => e.revision === FIRST)).toHaveLength(first.length - 1);

    await page.getByTestId('open-models').click();
    const commit = storedRow(page).getByTestId('stored-commit');
    await expect(commit).toHaveText(FIRST.slice(0, 7));
    await expect(commit).toHaveAttribute('title', FIRST);
    await page.getByTestId('close-models').click();

    // main moves on: a new generation_config.json and a q8 file no runtime can read.
    const moved = await moveMain({
      'generation_config.json': NEW_GENERATION_CONFIG,
      'onnx/model_quantized.onnx': Buffer.alloc(4096, 1),
    });
    expect(moved).not.toBe(FIRST);
    await hubControl('requests', { method: 'DELETE' });

    // The q8 download is cut once, then resumed: both from the pinned commit, and the model runs.
    const q8 = 'onnx/model_quantized.onnx';
    const q8Size = statSync(join(TINY_DIR, q8)).size;
    await addHubFault({
      match: `${TINY_MODEL}/${q8}`,
      cutAfterBytes: Math.floor(q8Size / 2),
      bytesPerSecond: 1_500_000,
      times: 1,
    });
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectError(page, 'download-failed', /connection dropped/);
    const kept = await pinAndJournal(page);
    expect(kept.partials).toEqual([PREFIX + q8]);
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectReady(page);
    const later = await hubLog();
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((e) => e.revision !== FIRST)).toEqual([]);
    const q8Gets = later.filter((e) => e.file === `${TINY_MODEL}/${q8}` && e.method === 'GET');
    expect(q8Gets.map((e) => e.range?.startsWith('bytes=') ?? false)).toEqual([false, true]);
    expect(await storedSha(page, q8)).toBe(sha256(onDisk(q8)));
    expect(await storedSha(page, 'generation_config.json')).toBe(sha256(onDisk('generation_config.json')));
    expect((await pinAndJournal(page)).pin?.files[q8]).toEqual({ sha256: sha256(onDisk(q8)), size: q8Size });

    // The hub now serves other bytes for the pinned commit's model.onnx; the store has lost its copy.
    const changed = Buffer.from(onDisk('onnx/model.onnx'));
    changed[1000] ^= 0xff;
    const put = { repo: TINY_MODEL, files: { 'onnx/model.onnx': changed.toString('base64') } };
    await hubControl(`commits/${FIRST}`, { method: 'PUT', body: JSON.stringify(put) });
    await page.evaluate(
      async (url) => (await caches.open('petit-models-v1')).delete(url),
      `${PREFIX}onnx/model.onnx`,
    );
    await hubControl('requests', { method: 'DELETE' });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectError(
      page,
      'integrity-mismatch',
      /onnx\/model\.onnx changed on the hub under commit .*It was not stored.*delete the model/,
    );
    // Asked of the pinned commit, once: the other files were in the store.
    expect((await hubLog()).map((e) => [e.file, e.revision])).toEqual([
      [`${TINY_MODEL}/onnx/model.onnx`, FIRST],
    ]);
    expect(await storedFiles(page)).not.toContain(`${PREFIX}onnx/model.onnx`);
    expect((await pinAndJournal(page)).partials).toEqual([]);
    // The pin still holds the first download's hash, not the changed one.
    expect((await pinAndJournal(page)).pin?.files['onnx/model.onnx'].sha256).toBe(
      sha256(onDisk('onnx/model.onnx')),
    );
  });

  test('"Check for update" says what changed, downloads nothing when declined, and the new commit only once accepted', async ({
    page,
  }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);
    const moved = await moveMain({ 'generation_config.json': NEW_GENERATION_CONFIG });
    await hubControl('requests', { method: 'DELETE' });

    await page.getByTestId('open-models').click();
    const row = storedRow(page);
    await expect(row.getByTestId('stored-commit')).toHaveText(FIRST.slice(0, 7));
    await row.getByTestId('check-update').click();
    const offer = row.getByTestId('update-offer');
    await expect(offer).toContainText(`main is now at ${moved.slice(0, 7)}`);
    await expect(offer.getByTestId('update-changes').locator('li')).toHaveCount(1);
    await expect(offer.getByTestId('update-changes')).toContainText(
      `generation_config.json ${onDisk('generation_config.json').length} bytes → ${NEW_GENERATION_CONFIG.length} bytes`,
    );
    await offer.getByTestId('decline-update').click();
    await expect(row.getByTestId('update-status')).toContainText(
      `Kept ${FIRST.slice(0, 7)}; nothing was downloaded`,
    );
    expect(await hubLog()).toEqual([]);
    expect((await pinAndJournal(page)).pin?.commit).toBe(FIRST);
    expect(await storedSha(page, 'generation_config.json')).toBe(sha256(onDisk('generation_config.json')));

    await row.getByTestId('check-update').click();
    await row.getByTestId('accept-update').click();
    await expect(row.getByTestId('update-status')).toContainText(
      `Updated to ${moved.slice(0, 7)}: 1 file downloaded`,
    );
    await expect(row.getByTestId('stored-commit')).toHaveText(moved.slice(0, 7));
    const fetched = await hubLog();
    expect(fetched.map((e) => [e.file, e.revision])).toEqual([
      [`${TINY_MODEL}/generation_config.json`, moved],
    ]);
    expect(await storedSha(page, 'generation_config.json')).toBe(sha256(NEW_GENERATION_CONFIG));
    const { pin } = await pinAndJournal(page);
    expect(pin?.commit).toBe(moved);
    expect(pin?.files['generation_config.json'].sha256).toBe(sha256(NEW_GENERATION_CONFIG));
    expect(pin?.files['onnx/model.onnx'].sha256).toBe(sha256(onDisk('onnx/model.onnx')));
    // Nothing staged is left beside the model.
    expect((await storedFiles(page)).filter((u) => u.includes(`/resolve/${moved}/`))).toEqual([]);

    await row.getByTestId('check-update').click();
    await expect(row.getByTestId('update-status')).toContainText(
      `Up to date: main is still at ${moved.slice(0, 7)}`,
    );

    // The updated model loads from the store alone after a reload.
    await page.reload();
    await hubControl('requests', { method: 'DELETE' });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expectReady(page);
    expect(await hubLog()).toEqual([]);
  });
});

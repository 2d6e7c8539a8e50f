import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { HUB_URL, TINY_MODEL } from './env.ts';
import { addHubFault, expect, hubControl, loadFromPicker, resetHub, storedFiles, test } from './fixtures.ts';

/** Several tabs of one origin: one download for two tabs, and a warning before a second copy of a large model. */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const HUB_ROOT = process.env.PETIT_E2E_HUB_ROOT ?? join(repoRoot, '.cache', 'e2e-hub');
const Q8_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'onnx/model_quantized.onnx',
];

async function expectReady(page: Page): Promise<void> {
  await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 90_000 });
}

async function chat(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
  const answer = page.getByTestId('message-assistant').last();
  // Complete is the point (a random tiny model may well answer with its end token alone).
  await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
}

test.describe('two tabs', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 12 } });
  test.beforeEach(resetHub);
  test.afterEach(resetHub);

  test('loading the same model at the same moment downloads it once, and both tabs chat', async ({
    page,
    context,
  }) => {
    // Slow enough that both tabs ask while the first download is still running.
    await addHubFault({ match: `${TINY_MODEL}/onnx/*`, bytesPerSecond: 150_000 });
    const second = await context.newPage();
    await Promise.all([page.goto('/'), second.goto('/')]);
    await Promise.all([loadFromPicker(page, 'tiny-llama', 'q8'), loadFromPicker(second, 'tiny-llama', 'q8')]);
    await Promise.all([expectReady(page), expectReady(second)]);
    await chat(page, 'Hello from the first tab');
    await chat(second, 'Hello from the second tab');

    const { entries } = (await hubControl('requests')) as { entries: { method: string; file: string }[] };
    const gets: Record<string, number> = {};
    for (const e of entries.filter((e) => e.method === 'GET')) gets[e.file] = (gets[e.file] ?? 0) + 1;
    expect(gets).toEqual(Object.fromEntries(Q8_FILES.map((f) => [`${TINY_MODEL}/${f}`, 1])));

    // The store: one complete entry per file, byte for byte the hub's size, and the graph the first load split off
    // the weights file (keyed `?petit-split=…`, workers/backends/model-files.ts), once.
    const stored = await storedFiles(page);
    const urls = stored.filter((url) => new URL(url).search === '').sort();
    expect(urls).toEqual(Q8_FILES.map((f) => `${HUB_URL}/${TINY_MODEL}/resolve/main/${f}`).sort());
    expect(stored.filter((url) => url.includes('?petit-split=')).length).toBe(1);
    const sizes = await page.evaluate(async (list) => {
      const cache = await caches.open('petit-models-v1');
      return Promise.all(list.map(async (u) => (await (await cache.match(u))!.arrayBuffer()).byteLength));
    }, urls);
    expect(sizes).toEqual(
      urls.map((u) => statSync(join(HUB_ROOT, TINY_MODEL, u.split('/resolve/main/')[1])).size),
    );
  });

  test('a tab warns before loading a second copy of a large model another tab holds', async ({
    page,
    context,
  }) => {
    // Test hook: "large" lowered from 1 GB to 1 kB so the tiny model counts (src/engine/tab-registry.ts).
    // Not in a new tab's about:blank, where localStorage throws (an uncaught page error).
    await context.addInitScript(() => {
      if (location.protocol.startsWith('http')) localStorage.setItem('petit.largeModelBytes', '1000');
    });
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectReady(page);

    const second = await context.newPage();
    await second.goto('/');
    await loadFromPicker(second, 'tiny-llama', 'q8');
    const warning = second.getByTestId('second-copy-warning');
    await expect(warning).toBeVisible();
    await expect(warning).toContainText(`${TINY_MODEL}`);
    await expect(warning).toContainText(/is loaded in another tab.*second copy/s);
    await second.getByTestId('second-copy-cancel').click();
    await expect(warning).toBeHidden();
    await expect(second.getByTestId('status-device')).toHaveCount(0);
    await expect(second.getByTestId('error')).toHaveCount(0);

    // Asked again, and this time loaded on purpose: it chats.
    await loadFromPicker(second, 'tiny-llama', 'q8');
    await expect(warning).toBeVisible();
    await second.getByTestId('second-copy-load').click();
    await expectReady(second);
    await chat(second, 'Two copies now');

    // The first tab, which loaded first, never saw a warning.
    await expect(page.getByTestId('second-copy-warning')).toBeHidden();

    // Once both tabs have closed, a third tab loads without a warning (their locks went with them).
    await page.close();
    await second.close();
    const third = await context.newPage();
    await third.goto('/');
    await loadFromPicker(third, 'tiny-llama', 'q8');
    await expectReady(third);
    await expect(third.getByTestId('second-copy-warning')).toBeHidden();
  });

  test('below the threshold (the default 1 GB) no warning is shown', async ({ page, context }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectReady(page);
    const second = await context.newPage();
    await second.goto('/');
    await loadFromPicker(second, 'tiny-llama', 'q8');
    await expectReady(second);
    await expect(second.getByTestId('second-copy-warning')).toBeHidden();
  });
});

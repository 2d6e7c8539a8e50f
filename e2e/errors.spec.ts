import { BAD_CONFIG_MODEL, HALF_ONNX_MODEL, TINY_MODEL } from './env.ts';
import {
  addHubFault,
  expect,
  loadFromPicker,
  resetHub,
  storedFiles,
  test,
  type PetitFixtures,
} from './fixtures.ts';
import type { Page } from '@playwright/test';

async function expectError(page: Page, code: string, text: RegExp): Promise<void> {
  const banner = page.getByTestId('error');
  await expect(banner).toHaveAttribute('data-code', code);
  await expect(banner).toContainText(text);
}

/** After a failure the same worker still loads a good model and answers. */
async function expectStillWorks(page: Page): Promise<void> {
  await loadFromPicker(page, 'tiny-llama', 'q8');
  await expect(page.getByTestId('status-device')).toHaveText('WASM');
  await page.getByTestId('prompt').fill('Are you still there?');
  await page.getByTestId('prompt').press('Enter');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete');
}

test.describe('bad input ends in a typed error, a readable message and a usable worker', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 16 } });
  test.beforeEach(async ({ page }) => {
    await resetHub();
    await page.goto('/');
  });
  test.afterEach(resetHub);

  test('a model the hub does not have', async ({ page }) => {
    await loadFromPicker(page, 'missing', 'fp32');
    await expectError(
      page,
      'model-not-found',
      /has no file petit-broken\/does-not-exist: config\.json.*Check the model id/,
    );
    await expectStillWorks(page);
  });

  test('a hub that answers 500, then recovers', async ({ page }) => {
    await addHubFault({ match: `${TINY_MODEL}/*`, status: 500, times: 1 });
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectError(page, 'hub-error', /failed to serve .*HTTP 500.*Try again/);
    await expectStillWorks(page);
  });

  test('a malformed config.json', async ({ page }) => {
    await loadFromPicker(page, 'bad-config', 'fp32');
    await expectError(page, 'invalid-model-config', /config\.json is not valid JSON/);
    expect((await storedFiles(page)).filter((url) => url.includes(BAD_CONFIG_MODEL))).toEqual([]);
    await expectStillWorks(page);
  });

  test('an ONNX file cut in half is refused and not kept', async ({ page }) => {
    await loadFromPicker(page, 'half-onnx', 'fp32');
    await expectError(page, 'invalid-model-file', /could not be read.*removed from storage/);
    expect((await storedFiles(page)).filter((url) => url.includes(HALF_ONNX_MODEL))).toEqual([]);
    await expectStillWorks(page);
  });

  test('a connection cut mid-download keeps no partial file', async ({ page }) => {
    await addHubFault({ match: `${TINY_MODEL}/onnx/*`, cutAfterBytes: 50_000, times: 1 });
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expectError(page, 'download-failed', /connection dropped|stopped after/);
    expect((await storedFiles(page)).filter((url) => url.includes('/onnx/'))).toEqual([]);
    await expectStillWorks(page);
  });

  test('a prompt longer than the model can read', async ({ page }) => {
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('status-device')).toHaveText('WASM');
    await page.getByTestId('prompt').fill('the quick brown fox jumps over the lazy dog '.repeat(600));
    await page.getByTestId('prompt').press('Enter');
    await expectError(
      page,
      'context-length-exceeded',
      /too long for this model.*2,048-token context.*Shorten/,
    );
    await page.getByTestId('prompt').fill('A short question.');
    await page.getByTestId('prompt').press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete');
  });
});

test.describe('an unreachable hub', () => {
  const deadHub = 'http://127.0.0.1:9';
  test.use({
    initialSettings: { temperature: 0, hubUrl: deadHub } satisfies Partial<Record<string, unknown>>,
    extraAllowedOrigins: [deadHub] as PetitFixtures['extraAllowedOrigins'],
  });

  test('the model picker says so plainly', async ({ page }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('hub-unreachable')).toContainText('cannot be reached');
    await expectError(page, 'hub-unreachable', /cannot be reached/);
  });
});

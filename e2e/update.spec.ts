import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_CATALOG, HUB_URL } from './env.ts';
import { expect, loadFromPicker, test } from './fixtures.ts';
import { DEPLOY_ORIGIN, DEPLOY_PORT, E2E_DIST, E2E_WIDGET_ORIGINS } from './pwa-env.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

const NEW_BUILD = 'e2e-update-build-2';

let dir: string;
let server: StaticServer;
let oldBuild: string;
let newBuild: string;

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petit-deploy-'));
  // Version 1 is the build every e2e test runs; version 2 is built now from the same sources, as a deploy would.
  oldBuild = join(dir, 'v1');
  newBuild = join(dir, 'v2');
  cpSync(E2E_DIST, oldBuild, { recursive: true });
  const built = spawnSync(
    'npx',
    ['vite', 'build', '--outDir', newBuild, '--emptyOutDir', '--logLevel', 'error'],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        PETIT_BUILD_ID: NEW_BUILD,
        VITE_PETIT_HUB_URL: HUB_URL,
        VITE_PETIT_EXTRA_MODELS: JSON.stringify(E2E_CATALOG),
        VITE_PETIT_WIDGET_ORIGINS: E2E_WIDGET_ORIGINS,
      },
    },
  );
  if (built.status !== 0) throw new Error(`building version 2 failed:\n${built.stdout}\n${built.stderr}`);
  server = await startStaticServer(DEPLOY_PORT, { root: oldBuild, widgetOrigins: E2E_WIDGET_ORIGINS });
});

test.afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.use({ extraAllowedOrigins: [DEPLOY_ORIGIN], serviceWorkers: 'allow' });

test('a new build deployed under an open page: the update prompt, then Reload keeps the conversation', async ({
  page,
}) => {
  await page.goto(`${DEPLOY_ORIGIN}/`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const before = await page.evaluate(() => document.documentElement.dataset.build);
  expect(before).toBeTruthy();
  expect(before).not.toBe(NEW_BUILD);

  await loadFromPicker(page, 'tiny-llama', 'q8');
  await page.getByTestId('prompt').fill('Remember this question.');
  await page.getByTestId('prompt').press('Enter');
  const answer = page.getByTestId('message-assistant').last();
  await expect(answer).toHaveAttribute('data-status', 'complete');
  const answerText = await answer.locator('.content').textContent();

  // Deploy version 2; the page checks for updates (hourly and when it becomes visible; here, now).
  server.setRoot(newBuild);
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration())?.update();
  });
  const prompt = page.getByTestId('update-prompt');
  await expect(prompt).toContainText('Update available');
  // The old version keeps running until the user says so.
  expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe(before);

  await prompt.getByTestId('update-reload').click();
  // A locator assertion keeps retrying across the reload.
  await expect(page.locator('html')).toHaveAttribute('data-build', NEW_BUILD);
  await expect(page.getByTestId('update-prompt')).toHaveCount(0);
  await expect(page.getByTestId('message-user').locator('.content')).toHaveText(['Remember this question.']);
  await expect(page.getByTestId('message-assistant').locator('.content')).toHaveText([answerText ?? '']);
});

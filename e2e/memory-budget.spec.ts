/**
 * A model too large for the device is refused before its weights download, with the reason and a model that
 * fits: on a simulated phone that reports 0.5 GB of memory (navigator.deviceMemory), in the app's picker and
 * through the library.
 */
import { expect, storedFiles, test } from './fixtures.ts';
import { HUB_URL, SIZED_MODEL, SMOLLM_SHAPED_MODEL, TINY_MODEL } from './env.ts';

type Petit = import('../src/index.ts').PetitEngine;

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 0.5, configurable: true });
  });
});

test('the picker refuses a model the device cannot hold, says why and offers the largest one that fits', async ({
  page,
}) => {
  const weights: string[] = [];
  page.on('request', (r) => {
    if (/\/resolve\/.*\.onnx/.test(r.url())) weights.push(r.url());
  });
  await page.goto('/');
  await page.getByTestId('model-select').selectOption('smollm2-135m-instruct');
  const choice = page.getByTestId('model-choice');
  await expect(choice).toHaveAttribute('data-ok', 'false');
  await expect(choice).toContainText(/Needs about \d+ MB of memory at its peak/);
  await expect(choice).toContainText('this device reports 500 MB of memory');
  await expect(page.getByTestId('load-model')).toBeDisabled();
  await expect(page.getByTestId('choice-instead')).toContainText(
    'The largest model that fits this device: Tiny, size in the catalog (test)',
  );

  await page.getByTestId('choose-instead').click();
  await expect(page.getByTestId('model-select')).toHaveValue('tiny-sized');
  await expect(choice).toHaveAttribute('data-ok', 'true');
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 60_000 });
  expect(weights.every((url) => url.includes(SIZED_MODEL))).toBe(true);
});

test('the library refuses it with model-too-large before the weights download, and keeps nothing', async ({
  page,
}) => {
  await page.goto('/api.html');
  await expect(page.locator('#state')).toContainText('Ready');
  const outcome = await page.evaluate(
    async ({ big, small, hub }) => {
      const petit = (window as unknown as { petit: Petit }).petit;
      const refused = await petit.load({ id: big, dtype: 'q4', device: 'wasm', hubUrl: hub }).then(
        () => ({ code: 'loaded', message: '' }),
        (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
      );
      // What fits still loads and answers in the same engine.
      await petit.load({ id: small, dtype: 'fp32', device: 'wasm', hubUrl: hub });
      const answer = await petit.chat.completions.create({
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 4,
      });
      return { refused, answered: answer.choices[0].message.content.length > 0 };
    },
    { big: SMOLLM_SHAPED_MODEL, small: TINY_MODEL, hub: HUB_URL },
  );
  expect(outcome.refused.code).toBe('model-too-large');
  expect(outcome.refused.message).toMatch(
    /needs about 7\d\d MB of memory at its peak, more than this tab can count on \(about 250 MB: this device reports 0\.5 GB/,
  );
  expect(outcome.answered).toBe(true);
  expect((await storedFiles(page)).filter((url) => url.includes(SMOLLM_SHAPED_MODEL))).toEqual([]);
});

import { expect, loadFromPicker, test } from './fixtures.ts';

test.use({ serviceWorkers: 'allow' });

test.describe('offline after one visit', () => {
  test('reload with the network gone: the app comes from the service worker, the stored model loads, and it answers', async ({
    page,
    context,
  }) => {
    await page.goto('/');
    // The first visit installs the service worker, which precaches the app shell and the ONNX Runtime wasm.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('status-device')).toHaveText('WASM');

    const fromNetwork: string[] = [];
    context.on('response', (response) => {
      const url = response.url();
      if (/^https?:/.test(url) && !response.fromServiceWorker())
        fromNetwork.push(`${response.status()} ${url}`);
    });
    await context.setOffline(true);
    await page.reload();

    await expect(page.getByRole('heading', { name: 'Petit' })).toBeVisible();
    await expect(page.getByTestId('offline-notice')).toContainText('offline');
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    // The SW re-adds COOP/COEP: without them the page would not be isolated and WASM would run on one thread.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('status-threads')).toHaveText('2 threads');
    await page.getByTestId('prompt').fill('Hello offline');
    await page.getByTestId('prompt').press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', /complete/);
    await expect(answer.locator('.content')).not.toBeEmpty();

    expect(fromNetwork, 'responses that came from the network while offline').toEqual([]);
  });

  test('offline, a model that is not stored yet fails at once with a reason', async ({ page, context }) => {
    await page.goto('/');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('offline-notice')).toContainText(
      'downloading a new one needs a connection',
    );
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('hub-unreachable')).toBeVisible();
  });
});

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

    // What the pages received not through the service worker. The SW's own requests are left out: offline they can
    // only be answered by the HTTP cache (it reads ORT's wasm from there, `only-if-cached`, for V8's code cache).
    const fromNetwork: string[] = [];
    context.on('response', (response) => {
      const url = response.url();
      if (/^https?:/.test(url) && !response.fromServiceWorker() && !response.request().serviceWorker())
        fromNetwork.push(`${response.status()} ${url}`);
    });
    await context.setOffline(true);
    await page.reload();

    await expect(page.getByRole('heading', { name: 'Petit' })).toBeVisible();
    await expect(page.getByTestId('offline-notice')).toContainText('offline');
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    // The SW re-adds COOP/COEP: without them the page would not be isolated and WASM would run on one thread.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    // The picker marks what is stored, so the user can tell what works offline.
    await page.getByTestId('model-select').selectOption('tiny-llama');
    await expect(page.getByTestId('model-select').locator('option[value="tiny-llama"]')).toContainText(
      'on this device',
    );
    await expect(page.getByTestId('dtype-select').locator('option[value="q8"]')).toContainText(
      'on this device',
    );
    await expect(page.getByTestId('dtype-select').locator('option[value="fp32"]')).not.toContainText(
      'on this device',
    );
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('status-threads')).toHaveText('2 threads');
    await page.getByTestId('prompt').fill('Hello offline');
    await page.getByTestId('prompt').press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', /complete/);
    await expect(answer.locator('.content')).not.toBeEmpty();

    expect(fromNetwork, 'responses that came from the network while offline').toEqual([]);

    // With the HTTP cache gone too (cleared, or evicted by the browser), ORT's wasm comes from the precache.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await page.reload();
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await page.getByTestId('prompt').fill('Hello again');
    await page.getByTestId('prompt').press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', /complete/);
    expect(fromNetwork, 'responses that came from the network while offline').toEqual([]);
  });

  test('offline, a model that is not stored cannot be started: Load is disabled and says why; a stored precision is chosen for you', async ({
    page,
    context,
  }) => {
    await page.goto('/');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    // Only the 32-bit build is stored; on WASM the chooser would pick 8-bit.
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('status-dtype')).toHaveText('fp32');
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('offline-notice')).toContainText(
      'downloading a new one and asking a remote model need a connection',
    );

    await page.getByTestId('model-select').selectOption('tiny-llama');
    await page.getByTestId('dtype-select').selectOption('q8');
    const load = page.getByTestId('load-model');
    await expect(load).toBeDisabled();
    await expect(page.getByTestId('offline-blocked')).toContainText('is not on this device yet');
    await expect(page.getByTestId('offline-blocked')).toContainText('marked “on this device”');
    // The reason is tied to the button for screen readers.
    const describedBy = (await load.getAttribute('aria-describedby')) ?? '';
    const blockedId = await page.getByTestId('offline-blocked').getAttribute('id');
    expect(describedBy.split(' ')).toContain(blockedId);

    // "Automatic" offline takes the stored 32-bit build instead of the 8-bit one it would download.
    await page.getByTestId('dtype-select').selectOption('auto');
    await expect(page.getByTestId('dtype-select').locator('option[value="auto"]')).toContainText('32-bit');
    await expect(page.getByTestId('offline-blocked')).toHaveCount(0);
    await expect(load).toBeEnabled();
    await load.click();
    await expect(page.getByTestId('status-dtype')).toHaveText('fp32');
    expect(requests.filter((url) => url.includes('/resolve/'))).toEqual([]);

    // Back online, the 8-bit build can be downloaded again.
    await context.setOffline(false);
    await page.getByTestId('dtype-select').selectOption('q8');
    await expect(load).toBeEnabled();
    await expect(page.getByTestId('offline-blocked')).toHaveCount(0);
  });
});

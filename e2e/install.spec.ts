import { expect, test } from './fixtures.ts';

test.use({ serviceWorkers: 'allow' });

test('the app is installable: a manifest Chromium accepts, a service worker, and an Install button', async ({
  page,
  context,
}) => {
  await page.goto('/');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);

  const { url, errors, data } = await cdp.send('Page.getAppManifest');
  expect(url).toMatch(/\/manifest\.webmanifest$/);
  expect(errors).toEqual([]);
  const manifest = JSON.parse(data ?? '{}') as {
    display: string;
    icons: { sizes: string; purpose?: string; type: string }[];
    shortcuts: unknown[];
  };
  expect(manifest.display).toBe('standalone');
  expect(manifest.icons.some((i) => i.purpose === 'maskable' && i.sizes === '512x512')).toBe(true);
  expect(manifest.shortcuts.length).toBeGreaterThan(0);
  // Every icon the manifest lists is served.
  for (const icon of manifest.icons as unknown as { src: string }[]) {
    const response = await page.request.get(icon.src);
    expect(response.status(), icon.src).toBe(200);
  }

  await expect(page.getByTestId('install-app')).toBeVisible();
});

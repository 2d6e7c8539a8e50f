import { defineConfig } from '@playwright/test';
import { APP_PORT, APP_URL, E2E_CATALOG, E2E_REPORT, HUB_URL, PROVIDER_URL } from './e2e/env.ts';
import { E2E_WIDGET_ORIGINS } from './e2e/pwa-env.ts';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  // One browser at a time: the machine has two cores and each page runs two WASM threads.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  // Per port, like the build folder: a run beside another one must not delete its results (Playwright empties
  // outputDir when it starts). scripts/test-all.ts reads the JSON report from E2E_REPORT.
  outputDir: `test-results/e2e-${APP_PORT}`,
  reporter: [['list'], ['json', { outputFile: E2E_REPORT }]],
  use: {
    baseURL: APP_URL,
    trace: 'off',
    // The app's service worker precaches ~27 MB per fresh browser (quota, time) and hides requests from
    // page.route: specs that test it opt in with test.use({ serviceWorkers: 'allow' }).
    serviceWorkers: 'block',
  },
  webServer: {
    // One build folder per port: two runs on one machine must not overwrite each other's build.
    command: `vite build --outDir dist-e2e-${APP_PORT} --emptyOutDir --logLevel warn && vite preview --outDir dist-e2e-${APP_PORT} --port ${APP_PORT} --strictPort --host 127.0.0.1`,
    url: APP_URL,
    timeout: 180_000,
    // Never reuse a server someone else started: it may serve another build.
    reuseExistingServer: false,
    env: {
      VITE_PETIT_HUB_URL: HUB_URL,
      VITE_PETIT_EXTRA_MODELS: JSON.stringify(E2E_CATALOG),
      VITE_PETIT_WIDGET_ORIGINS: E2E_WIDGET_ORIGINS,
      // The widget's larger model: the fake provider, as a keyless deployer's proxy (e2e/widget.spec.ts).
      VITE_PETIT_WIDGET_PROVIDER: JSON.stringify({
        presetId: 'openai',
        baseUrl: `${PROVIDER_URL}/v1`,
        model: 'gpt-4o-mini',
      }),
    },
  },
});

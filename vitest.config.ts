import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import react from '@vitejs/plugin-react';
import type { BrowserCommand } from 'vitest/node';
import { forgeCached } from './tools/forge/cache.ts';
import { startHub, type Hub } from './tools/hub/hub-server.ts';

/** Debian's Chromium: `npx playwright install` cannot download a browser on these machines (see the README's quick start). */
const chromiumPath = process.env.PETIT_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** A 1×1 PNG served for https://example.com/* so a consented image really loads, offline. */
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const requestLogs = new Map<string, string[]>();

/**
 * Browser-test commands (run in Node with Playwright's page): record every request the page makes, so a test
 * can prove an image was not fetched, then that it was after consent. Tests call them via `commands` from
 * 'vitest/browser'.
 */
const startRequestLog: BrowserCommand<[]> = async (ctx) => {
  if (!requestLogs.has(ctx.sessionId)) {
    const log: string[] = [];
    requestLogs.set(ctx.sessionId, log);
    ctx.page.on('request', (request) => log.push(request.url()));
    await ctx.page
      .context()
      .route('https://example.com/**', (route) =>
        route.fulfill({ status: 200, contentType: 'image/png', body: PIXEL_PNG }),
      );
  }
  requestLogs.get(ctx.sessionId)!.length = 0;
};
const loggedRequests: BrowserCommand<[contains: string]> = (ctx, contains) =>
  (requestLogs.get(ctx.sessionId) ?? []).filter((url) => url.includes(contains));

/**
 * The e2e suite's tiny model (forged once into the forge cache), served by a local hub on 127.0.0.1 for the whole
 * run and closed with it: browser tests of the engine load a real model over real HTTP.
 */
const TINY_MODEL = 'petit-test/tiny-llama';
let tinyHub: Promise<Hub> | undefined;
const startTinyHub: BrowserCommand<[]> = async (ctx) => {
  if (!tinyHub) {
    tinyHub = forgeCached({
      preset: 'tiny-llama',
      dtypes: ['fp32', 'q8'],
      modelId: TINY_MODEL,
      seed: 7,
    }).then((model) => startHub({ root: model.root }));
    ctx.project.vitest.onClose(async () => (await tinyHub)?.close());
  }
  return { url: (await tinyHub).url, model: TINY_MODEL };
};
/** Requests the tiny hub has served (model files, not CORS preflights), to prove a load came from the store. */
const tinyHubRequests: BrowserCommand<[]> = async () => (tinyHub ? (await tinyHub).requests.count() : 0);

export default defineConfig({
  // The app imports the library as 'petit' (packages/petit), from source, as vite.config.ts resolves it.
  resolve: {
    alias: [{ find: /^petit$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    // Vitest keeps one core for itself by default: on CI's 2 cores that is one test file at a time (79 s against 47 s).
    maxWorkers: '100%',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [
            'src/**/*.test.{ts,tsx}',
            'workers/**/*.test.ts',
            'tools/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          // Browser tests share the `.test.ts` suffix; they run in the project below, never in node.
          exclude: [...configDefaults.exclude, '**/*.browser.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        extends: true,
        plugins: [react()],
        // Pre-bundled up front: a mid-run discovery would reload the test page.
        optimizeDeps: {
          include: [
            'idb',
            'marked',
            'dompurify',
            'react',
            'react-dom/client',
            'react/jsx-dev-runtime',
            'i18next',
            'i18next-icu',
            'react-i18next',
            // The inference worker's (src/engine/petit-engine.browser.test.ts).
            'comlink',
            '@huggingface/transformers',
          ],
        },
        test: {
          name: 'browser',
          include: ['src/**/*.browser.test.{ts,tsx}', 'workers/**/*.browser.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
              contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] },
            }),
            instances: [{ browser: 'chromium' }],
            commands: { startRequestLog, loggedRequests, startTinyHub, tinyHubRequests },
          },
        },
      },
    ],
  },
});

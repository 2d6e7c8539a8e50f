import {
  test as base,
  chromium,
  expect,
  type BrowserContext,
  type Page,
  type Request,
} from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_URL, HUB_URL } from './env.ts';

/** Debian's Chromium: Playwright cannot download its own browser on these machines. */
export function chromiumPath(): string {
  if (process.env.PETIT_CHROMIUM) return process.env.PETIT_CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error('Chromium is not installed: run `apt-get install -y chromium` (or set PETIT_CHROMIUM).');
  }
}

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface PetitFixtures {
  /** Start Chromium with SwiftShader WebGPU (`--enable-unsafe-webgpu`). */
  webgpu: boolean;
  /** Every request the browser made during the test, by URL. */
  requests: string[];
  context: BrowserContext;
  page: Page;
  /** Settings stored before the app starts (merged over the defaults). */
  initialSettings: Record<string, unknown>;
  /** Origins a test deliberately points the app at (e.g. an unreachable hub it configured). */
  extraAllowedOrigins: string[];
  /** Runs after every test: the browser talked to no host but the app and the model hub. */
  privacy: void;
  /**
   * Uncaught page errors and unhandled rejections a test provokes on purpose (a substring or pattern of the
   * message). Set narrowly with `test.use` around the one test that needs it, with a comment saying why.
   */
  expectedPageErrors: (string | RegExp)[];
  /** Runs around every test: any other uncaught error or unhandled rejection in any page fails it. */
  pageErrors: string[];
}

export const test = base.extend<PetitFixtures>({
  webgpu: [false, { option: true }],
  initialSettings: [{ temperature: 0 }, { option: true }],
  // Playwright requires a destructuring pattern even when a fixture needs no other fixture.
  // eslint-disable-next-line no-empty-pattern
  requests: async ({}, use) => {
    await use([]);
  },
  // `locale` is Playwright's option (test.use({ locale: 'fr-FR' })): the browser's language, which Petit follows.
  context: async ({ webgpu, requests, initialSettings, serviceWorkers, locale }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'petit-e2e-'));
    const args = [...CHROMIUM_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu'])];
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath(),
      args,
      baseURL: APP_URL,
      viewport: { width: 1100, height: 800 },
      // Blocked unless a spec opts in (the PWA specs): see playwright.config.ts.
      serviceWorkers,
      ...(locale ? { locale } : {}),
    });
    context.on('request', (r: Request) => requests.push(r.url()));
    await context.addInitScript((settings) => {
      // Also runs in a new tab's about:blank, where reading localStorage throws (an uncaught page error).
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('petit.settings.v1')) {
        localStorage.setItem('petit.settings.v1', JSON.stringify(settings));
      }
    }, initialSettings);
    await use(context);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  },
  extraAllowedOrigins: [[], { option: true }],
  privacy: [
    async ({ requests, extraAllowedOrigins }, use) => {
      await use();
      const allowed = [...ALLOWED_ORIGINS, ...extraAllowedOrigins];
      const foreign = requests.filter(
        (url) => /^https?:/.test(url) && !allowed.includes(new URL(url).origin),
      );
      expect(foreign, 'requests to hosts other than the app and the model hub').toEqual([]);
    },
    { auto: true },
  ],
  expectedPageErrors: [[], { option: true }],
  pageErrors: [
    async ({ context, expectedPageErrors }, use) => {
      const unexpected: string[] = [];
      // `weberror` covers every page of the context, unhandled rejections, and errors a worker did not handle.
      context.on('weberror', (webError) => {
        const message = webError.error().message;
        const expected = expectedPageErrors.some((e) =>
          typeof e === 'string' ? message.includes(e) : e.test(message),
        );
        console.error(`[page error${expected ? ', expected' : ''}] ${message}`);
        if (!expected) unexpected.push(message);
      });
      await use(unexpected);
      expect(unexpected, 'uncaught errors or unhandled rejections in the page').toEqual([]);
    },
    { auto: true },
  ],
  page: async ({ context }, use) => {
    await use(context.pages()[0] ?? (await context.newPage()));
  },
});

export { expect };

/** Selects a catalog entry and dtype in the model picker and presses Load. */
export async function loadFromPicker(page: Page, entryId: string, dtype: string): Promise<void> {
  await page.getByTestId('model-select').selectOption(entryId);
  await page.getByTestId('dtype-select').selectOption(dtype);
  await page.getByTestId('load-model').click();
}

/** Keys of the model store (Cache Storage), to check what a failed download left behind. */
export async function storedFiles(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const cache = await caches.open('petit-models-v1');
    return (await cache.keys()).map((r) => r.url);
  });
}

/** Origins the app may talk to: its own and the configured model hub. */
export const ALLOWED_ORIGINS = [new URL(APP_URL).origin, new URL(HUB_URL).origin];

export async function hubControl(path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${HUB_URL}/__hub/${path}`, init);
  return response.headers.get('content-type')?.includes('json') ? response.json() : response.text();
}

export async function addHubFault(fault: Record<string, unknown>): Promise<void> {
  await hubControl('faults', { method: 'POST', body: JSON.stringify(fault) });
}

export async function resetHub(): Promise<void> {
  await hubControl('reset', { method: 'POST' });
}

export interface HubRequestLog {
  total: number;
  byFile: Record<string, number>;
}

export async function hubRequests(): Promise<HubRequestLog> {
  return (await hubControl('requests')) as HubRequestLog;
}

export interface SavedMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  status: string;
  usage?: { prompt_tokens: number };
}

/** The messages of the most recently updated conversation, as saved in IndexedDB (the raw text, not the HTML). */
export async function savedMessages(page: Page): Promise<SavedMessage[]> {
  return page.evaluate(
    () =>
      new Promise<SavedMessage[]>((resolve, reject) => {
        const open = indexedDB.open('petit');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['conversations', 'messages'], 'readonly');
          const byUpdated = tx.objectStore('conversations').index('byUpdatedAt').openCursor(null, 'prev');
          byUpdated.onsuccess = () => {
            const newest = byUpdated.result?.value as { id: string } | undefined;
            if (!newest) return resolve([]);
            const range = IDBKeyRange.bound([newest.id, -Infinity], [newest.id, Infinity]);
            const all = tx.objectStore('messages').index('byConversation').getAll(range);
            all.onsuccess = () => {
              db.close();
              resolve(all.result as SavedMessage[]);
            };
          };
        };
      }),
  );
}

/** Headless Debian Chromium for the bench: one fresh profile per runtime and model, with its memory monitor. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MemoryMonitor } from './memory.ts';

/** Debian's Chromium (Playwright cannot download a browser here); PETIT_CHROMIUM overrides. */
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

/** The flags e2e/fixtures.ts uses. */
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface BenchBrowser {
  context: BrowserContext;
  page: Page;
  memory: MemoryMonitor;
  /** Console errors and page errors, for the report when something breaks. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser({ webgpu = false } = {}): Promise<BenchBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'petit-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: [...ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu'])],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // Started by the runner around its timed runs only: sampling costs CPU that the runtimes would miss.
  const memory = new MemoryMonitor(profile);
  return {
    context,
    page,
    memory,
    errors,
    async close() {
      memory.stop();
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Rejects after `ms`: a hung page must fail the bench, not stall it. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}

/**
 * `npx tsx scripts/screenshots.ts`: the README's pictures, taken in Chromium from a build of the app and a local
 * model hub (as the e2e global setup does): the phone layout (390 × 844) in French and the desktop layout
 * (1280 × 800) in English, each with a short conversation, into docs/screenshots/. The model is stories260K when
 * ../shared/fixtures has it (it writes little stories), else the random-weight tiny model.
 */
import { chromium, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/fixtures.ts';
import { startStaticServer } from '../e2e/static-server.ts';
import { storiesSource } from '../e2e/stories.ts';
import { forgeCached } from '../tools/forge/cache.ts';
import { startHub } from '../tools/hub/hub-server.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const HUB_PORT = Number(process.env.PETIT_SHOTS_HUB_PORT ?? 8798);
const APP_PORT = Number(process.env.PETIT_SHOTS_APP_PORT ?? 4699);
const hubRoot = join(repoRoot, '.cache', 'screenshots-hub');
const dist = join(repoRoot, `dist-screenshots-${APP_PORT}`);
const out = join(repoRoot, 'docs', 'screenshots');

// The model: a real (tiny) story writer when available.
rmSync(hubRoot, { recursive: true, force: true });
mkdirSync(hubRoot, { recursive: true });
const source = storiesSource();
const forged = source
  ? await forgeCached({ source, dtypes: ['fp32'], modelId: 'petit-test/stories260K' })
  : await forgeCached({
      preset: 'tiny-llama',
      dtypes: ['fp32', 'q8'],
      modelId: 'petit-test/tiny-llama',
      seed: 7,
    });
cpSync(forged.dir, join(hubRoot, forged.modelId), { recursive: true });
const entry = {
  id: 'stories260k',
  label: source ? 'Stories 260K' : 'Tiny Llama (random weights)',
  repo: forged.modelId,
  dtypes: ['fp32'],
  contextLength: 512,
};
const hub = await startHub({ root: hubRoot, port: HUB_PORT });

console.log('screenshots: building the app…');
execFileSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, VITE_PETIT_HUB_URL: hub.url, VITE_PETIT_EXTRA_MODELS: JSON.stringify([entry]) },
});
const app = await startStaticServer(APP_PORT, { root: dist });

const PROMPTS = ['Once upon a time, there was a little cat.', 'The cat found a red ball.'];

async function shoot(
  file: string,
  language: 'en' | 'fr',
  viewport: { width: number; height: number },
): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'petit-shots-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, '--disable-gpu'],
    viewport,
    // A phone's pixel density; a desktop screen's.
    deviceScaleFactor: viewport.width < 600 ? 2 : 1,
    colorScheme: 'light',
    serviceWorkers: 'block',
  });
  try {
    await context.addInitScript(
      (settings) => localStorage.setItem('petit.settings.v1', JSON.stringify(settings)),
      { language, temperature: 0, maxTokens: 40, modelId: entry.id },
    );
    const page: Page = context.pages()[0] ?? (await context.newPage());
    await page.goto(app.url);
    await page.getByTestId('model-select').selectOption(entry.id);
    await page.getByTestId('load-model').click();
    const prompt = page.getByTestId('prompt');
    await prompt.waitFor();
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid=prompt]') as HTMLTextAreaElement).disabled,
      undefined,
      { timeout: 120_000 },
    );
    for (const text of PROMPTS) {
      await prompt.fill(text);
      await prompt.press('Enter');
      await page.waitForFunction(
        (n) => {
          const answers = document.querySelectorAll('[data-testid=message-assistant]');
          return answers.length === n && answers[n - 1]!.getAttribute('data-status') === 'complete';
        },
        PROMPTS.indexOf(text) + 1,
        { timeout: 120_000 },
      );
    }
    // No caret or focus ring in the picture; the page from its top (the header shows the language).
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: join(out, file) });
    console.log(`screenshots: ${join('docs', 'screenshots', file)}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

mkdirSync(out, { recursive: true });
try {
  await shoot('phone-fr.png', 'fr', { width: 390, height: 844 });
  await shoot('desktop-en.png', 'en', { width: 1280, height: 800 });
} finally {
  await app.close();
  await hub.close();
  rmSync(dist, { recursive: true, force: true });
}

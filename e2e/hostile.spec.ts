import { createHash } from 'node:crypto';
import { mkdirSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { ERROR_CODES } from '../src/engine/errors.ts';
import { HUB_URL, TINY_MODEL } from './env.ts';
import { addHubFault, expect, resetHub, storedFiles, test } from './fixtures.ts';
import { hubFaults, writeFuzzRepos, type FuzzRepo } from './hostile-files.ts';
import { buildLoads, buildRequests, runLoads, runRequests, type Outcome } from './hostile-inputs.ts';

/**
 * The hostile-input suite: generated bad inputs through the public PetitEngine API on /api.html, fuzzed model
 * files and every misbehaviour of the local hub. Each input must end in a PetitError with a known code or a
 * correct answer; no unhandled rejection or page error; after each class the worker still answers; the model
 * store keeps only complete files of models that loaded.
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const HUB_ROOT = process.env.PETIT_E2E_HUB_ROOT ?? join(repoRoot, '.cache', 'e2e-hub');
const TINY_DIR = join(HUB_ROOT, TINY_MODEL);
const TINY = { id: TINY_MODEL, dtype: 'q8', device: 'wasm', hubUrl: HUB_URL };
const KNOWN = new Set<string>(ERROR_CODES);

/** An uncaught error or unhandled rejection fails the test (e2e/fixtures.ts), so none is checked here. */
async function openPlayground(page: Page): Promise<void> {
  await page.goto('/api.html');
  await expect(page.locator('#state')).toContainText('Ready');
}

/** The worker still answers a normal request (loading the tiny model again if the class unloaded it). */
async function expectAlive(page: Page): Promise<void> {
  const reply = await page.evaluate(async (tiny) => {
    const p = window.petit;
    if (p.runtimeInfo()?.model !== tiny.id) await p.load(tiny as Parameters<typeof p.load>[0]);
    const r = await p.chat.completions.create({
      messages: [{ role: 'user', content: 'Still there?' }],
      max_tokens: 4,
      temperature: 0,
    });
    return r.choices[0].message.content;
  }, TINY);
  expect(typeof reply).toBe('string');
}

/**
 * Every outcome is an answer or the one code a user should get for this class of input (`classCode`), or the
 * case's own code for an input of another kind inside the class (an aborted signal, a dead hub). No other code.
 */
function judge(klass: string, outcomes: Outcome[], classCode: string): void {
  const tally: Record<string, number> = {};
  for (const { outcome } of outcomes) tally[outcome] = (tally[outcome] ?? 0) + 1;
  const bad: string[] = [];
  for (const { label, outcome, code = classCode } of outcomes) {
    expect(KNOWN.has(code), `${label}: expects an error code that does not exist`).toBe(true);
    if (outcome !== 'answer' && outcome !== `code:${code}`)
      bad.push(`${label}: ${outcome}, expected code:${code}`);
  }
  console.log(`[hostile] ${klass}: ${outcomes.length} inputs -> ${JSON.stringify(tally)}`);
  test.info().annotations.push({ type: `hostile ${klass}`, description: `${outcomes.length} inputs ${JSON.stringify(tally)}` }); // prettier-ignore
  expect(bad, `${klass}: inputs that ended neither in an answer nor in the code a user should get`).toEqual(
    [],
  );
}

test.describe('hostile input ends in a typed error or a correct answer', () => {
  test.describe.configure({ timeout: 900_000 });
  test.beforeEach(resetHub);
  test.afterEach(resetHub);

  test('bad chat requests: shapes, traps, numbers, strings, stops', async ({ page }) => {
    await openPlayground(page);
    await page.evaluate((tiny) => window.petit.load(tiny as Parameters<typeof window.petit.load>[0]), TINY);
    // Each class is refused with invalid-request; the few inputs of another kind carry their own code.
    for (const klass of ['shape', 'traps', 'numbers', 'strings', 'stops']) {
      // Built in the page: getters, Proxies and lone surrogates do not survive serialisation.
      const outcomes = (await page.evaluate(
        `(${runRequests.toString()})((${buildRequests.toString()})(9)[${JSON.stringify(klass)}], 120000)`,
      )) as Outcome[];
      judge(klass, outcomes, 'invalid-request');
      await expectAlive(page);
    }
  });

  test.describe('load() arguments', () => {
    // One case points the engine at a dead hub on purpose (hub-unreachable).
    test.use({ extraAllowedOrigins: ['http://127.0.0.1:9'] });
    test('bad load() arguments', async ({ page }) => {
      await openPlayground(page);
      const outcomes = (await page.evaluate(
        `(${runLoads.toString()})((${buildLoads.toString()})(${JSON.stringify(HUB_URL)}), 120000)`,
      )) as Outcome[];
      judge('load arguments', outcomes, 'invalid-request');
      await expectAlive(page);
    });
  });

  // A bad config.json, tokenizer or chat template is the model's configuration at fault; bad weights are its file.
  const FUZZ_CODES = {
    config: 'invalid-model-config',
    tokenizer: 'invalid-model-config',
    template: 'invalid-model-config',
    onnx: 'invalid-model-file',
  } as const;
  for (const klass of ['config', 'tokenizer', 'template', 'onnx'] as const) {
    test(`fuzzed model files: ${klass}`, async ({ page }) => {
      // Fresh repos (petit-fuzz/...) each time: nothing of them is in the store beforehand.
      const repos = writeFuzzRepos(HUB_ROOT, TINY_DIR);
      await openPlayground(page);
      // PETIT_HOSTILE_ONLY=<text> runs only the cases whose label holds it (to chase one failure).
      const only = process.env.PETIT_HOSTILE_ONLY;
      const mine = repos.filter((r: FuzzRepo) => r.klass === klass && (!only || r.label.includes(only)));
      const cases = mine.map((r) => ({ label: `${r.repo} ${r.label}`, request: [{ ...TINY, id: r.repo }], code: r.code })); // prettier-ignore
      // Past the engine's own 5-minute load watchdog: a load that never ends must be ended by the engine.
      const outcomes = (await page.evaluate(`(${runLoads.toString()})(${JSON.stringify(cases)}, 330000)`)) as Outcome[]; // prettier-ignore
      for (const { label, outcome } of outcomes) console.log(`[hostile]   ${label}: ${outcome}`);
      const byRepo = new Map(mine.map((r, i) => [r.repo, outcomes[i]]));
      judge(`fuzzed ${klass}`, outcomes, FUZZ_CODES[klass]);
      await expectAlive(page);
      await expectStoreConsistent(page, byRepo);
    });
  }

  test('every misbehaviour of the hub', async ({ page }) => {
    await openPlayground(page);
    const outcomes: Outcome[] = [];
    const byRepo = new Map<string, Outcome>();
    const faults = hubFaults();
    for (const [i, { label, file, fault, code }] of faults.entries()) {
      // A fresh repo per fault: nothing of it is in the store, so every file goes through the hub.
      const repo = `petit-fuzz/hub-${i}`;
      rmSync(join(HUB_ROOT, repo), { recursive: true, force: true });
      mkdirSync(join(HUB_ROOT, repo), { recursive: true });
      cpSync(TINY_DIR, join(HUB_ROOT, repo), { recursive: true });
      await resetHub();
      await addHubFault({ ...fault, match: `${repo}/${file}` });
      // A stalled hub is given up by the caller's signal (the engine's own load watchdog waits minutes);
      // slow and throttled ones get time to finish.
      const [outcome] = (await page.evaluate(
        `(${runLoads.toString()})([{ ...${JSON.stringify({ label, code })}, request: [${JSON.stringify({ ...TINY, id: repo })}, { signal: AbortSignal.timeout(${'stallAfterBytes' in fault ? 10_000 : 90_000}) }] }], 120000)`,
      )) as Outcome[];
      byRepo.set(repo, outcome);
      outcomes.push(outcome);
    }
    await resetHub();
    judge('hub faults', outcomes, 'download-failed');
    // The file the hub broke is never kept after a failed load (cut, corrupt, stalled or refused bytes); the
    // model's other, intact files may stay so that a retry resumes (checked byte for byte below).
    const stored = new Set(await storedFiles(page));
    const brokenKept = faults
      .map(({ file }, i) => ({ file, repo: `petit-fuzz/hub-${i}`, outcome: outcomes[i] }))
      .filter(({ file, outcome }) => !file.includes('*') && !outcome.loaded)
      .map(({ file, repo }) => `${HUB_URL}/${repo}/resolve/main/${file}`)
      .filter((url) => stored.has(url));
    expect(brokenKept, 'files the hub broke, kept in the store').toEqual([]);
    for (const { label, outcome } of outcomes) console.log(`[hostile]   ${label}: ${outcome}`);
    await expectAlive(page);
    await expectStoreConsistent(page, byRepo);
  });
});

/** Codes that mean the model's own files were refused: none of them may stay in the store. */
const REFUSED = new Set(['code:invalid-model-config', 'code:invalid-model-file']);

/**
 * The store after a class: no file of a model whose files were refused; whatever else is kept (a loaded model,
 * or the complete files of a download that failed later, kept so a retry resumes) is byte for byte the hub's file.
 */
async function expectStoreConsistent(page: Page, byRepo: Map<string, Outcome>): Promise<void> {
  const urls = (await storedFiles(page)).filter((url) => url.includes('/petit-fuzz/'));
  const repoOf = (url: string) => new URL(url).pathname.split('/').slice(1, 3).join('/');
  const refused = urls.filter((url) => {
    const outcome = byRepo.get(repoOf(url));
    return outcome && !outcome.loaded && REFUSED.has(outcome.outcome);
  });
  expect(refused, 'files kept of models whose files were refused').toEqual([]);
  // A file the store derives from a hub file (the graph split off a weights file, keyed `?petit-split=…`) is its own,
  // not the hub's: only the hub's files are compared.
  const hubFiles = urls.filter((url) => new URL(url).search === '');
  const hashes = await page.evaluate(async (list) => {
    const cache = await caches.open('petit-models-v1');
    return Promise.all(
      list.map(async (url) => {
        const bytes = await (await cache.match(url))!.arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      }),
    );
  }, hubFiles);
  hubFiles.forEach((url, i) => {
    const path = new URL(url).pathname.split('/');
    // /{org}/{name}/resolve/{revision}/{file…}
    const file = join(HUB_ROOT, path[1], path[2], ...path.slice(5));
    expect(hashes[i], `${url} is stored complete and intact`).toBe(
      createHash('sha256').update(readFileSync(file)).digest('hex'),
    );
  });
  const kept = new Set(urls.map(repoOf));
  console.log(`[hostile] store: ${urls.length} files of ${kept.size} models kept, all intact; none of refused models`); // prettier-ignore
}

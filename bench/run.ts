/**
 * `npm run bench`: Petit against its peers on the same forged weights, in one run on this machine.
 *   npm run bench                  the full bench: SmolLM2-135M q4/q8/fp32, 360M q4, Qwen2.5-0.5B q4 (time: BENCHMARKS.md)
 *   npm run bench -- --quick       every path once on a tiny model (CI); exits non-zero when a path breaks
 *   npm run bench -- --runs 3 --only "135m q4" --skip wllama --contexts none --tokens 32 --no-build --label "after X"
 * (any of --only, --runs, --tokens, --contexts makes a partial run: BENCHMARKS.md is then left alone)
 * Writes bench/results/<date>.json (quick: bench/results/tmp/) and, for full runs, the results section of
 * BENCHMARKS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import type { PetitEngine } from '../src/engine/petit-engine.ts';
import type { ChatCompletionChunk, CompletionUsage } from '../src/engine/protocol.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { chromiumPath, launchBrowser, withTimeout, type BenchBrowser } from './lib/browser.ts';
import { describeMachine } from './lib/machine.ts';
import {
  BENCH_CACHE,
  REPO_ROOT,
  caseName,
  prepareModels,
  type ModelCase,
  type PreparedModel,
} from './lib/models.ts';
import { openNative } from './lib/native.ts';
import { Progress } from './lib/progress.ts';
import { PromptBuilder, type ChatMessage, type Prompt } from './lib/prompts.ts';
import { renderMarkdown, writeBenchmarksMd } from './lib/report.ts';
import {
  RUNTIMES,
  type BenchReport,
  type CaseResult,
  type ChatScenario,
  type GenerationRun,
  type Runtime,
  type RuntimeResult,
} from './lib/results.ts';
import { summarize } from './lib/stats.ts';
import type { DirectBench, PageGeneration, WllamaBench } from './pages/page-api.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    'no-build': { type: 'boolean', default: false },
    'no-webgpu': { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
    contexts: { type: 'string' },
    tokens: { type: 'string' },
    /** Turns of the chat scenario (0: none). */
    'chat-turns': { type: 'string' },
    out: { type: 'string' },
    /** JSON merged into the transformers.js direct page's load request: an experiment, e.g. '{"wasm":"plain"}'. */
    direct: { type: 'string' },
  },
});
const DIRECT_VARIANT = args.direct ? (JSON.parse(args.direct) as Record<string, unknown>) : {};

const QUICK = args.quick;
const THREADS = 2;
// Overridable so that a bench and a test run on one machine do not meet.
const HUB_PORT = Number(process.env.PETIT_BENCH_HUB_PORT ?? 8797);
const APP_PORT = Number(process.env.PETIT_BENCH_APP_PORT ?? 4187);
const HUB_URL = `http://127.0.0.1:${HUB_PORT}`;
const APP_URL = `http://127.0.0.1:${APP_PORT}`;
const SETTINGS = QUICK
  ? { runs: 1, promptTokens: 64, newTokens: 16, contexts: [] as number[], contextNewTokens: 0, chatTurns: 2 }
  : {
      runs: 5,
      promptTokens: 128,
      newTokens: 128,
      contexts: [128, 512, 1024, 2048],
      contextNewTokens: 16,
      chatTurns: 10,
    };
/** Each chat turn: a user message of about 70 tokens, an answer of at most 32. */
const CHAT_USER_TOKENS = 70;
const CHAT_ANSWER_TOKENS = 32;
if (args.runs) SETTINGS.runs = Math.max(1, Number(args.runs));
if (args.tokens) SETTINGS.newTokens = Math.max(2, Number(args.tokens));
if (args['chat-turns'] !== undefined) SETTINGS.chatTurns = Math.max(0, Number(args['chat-turns']));
if (args.contexts !== undefined)
  SETTINGS.contexts = args.contexts === 'none' ? [] : args.contexts.split(',').map(Number);
const CASES: ModelCase[] = QUICK
  ? [{ preset: 'tiny-llama', dtype: 'q8' }]
  : [
      { preset: 'smollm2-135m', dtype: 'q4' },
      { preset: 'smollm2-135m', dtype: 'q8' },
      { preset: 'smollm2-135m', dtype: 'fp32' },
      { preset: 'smollm2-360m', dtype: 'q4' },
      { preset: 'qwen2.5-0.5b', dtype: 'q4' },
    ];
/** `--only "135m q4,0.5b"`: the models whose name contains any of the comma-separated parts. */
const cases = CASES.filter(
  (c) => !args.only || args.only.split(',').some((part) => caseName(c).includes(part)),
);
const skip = new Set(args.skip.split(',').filter(Boolean));
for (const s of skip) {
  if (!(RUNTIMES as readonly string[]).includes(s))
    throw new Error(`--skip ${s}: use ${RUNTIMES.join(', ')}`);
}
/** Generous limits (on this 2-core machine under load, one wllama run took over 5 min): a hung page must fail the
 * bench, never stall it. */
const LOAD_TIMEOUT = QUICK ? 60_000 : 600_000;
const GENERATE_TIMEOUT = QUICK ? 60_000 : 900_000;

const started = Date.now();
const progress = new Progress(0);
const hubRoot = join(BENCH_CACHE, 'hub');

function build(): void {
  progress.step('building the app and the bench pages (vite build → bench/.dist)');
  const result = spawnSync(
    'npx',
    ['vite', 'build', '--config', 'bench/vite.config.ts', '--logLevel', 'warn'],
    { cwd: REPO_ROOT, env: { ...process.env, VITE_PETIT_HUB_URL: HUB_URL }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  progress.tick();
}

async function startPreview(): Promise<ChildProcess> {
  // vite itself, not through npx: killing npx would leave vite serving.
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/vite/bin/vite.js'),
      'preview',
      '--config',
      'bench/vite.config.ts',
      '--port',
      String(APP_PORT),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  process.once('exit', () => child.kill());
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`vite preview exited:\n${output}`);
    try {
      const res = await fetch(`${APP_URL}/api.html`);
      if (res.ok && res.headers.get('cross-origin-opener-policy') === 'same-origin') return child;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`vite preview did not answer on ${APP_URL}:\n${output}`);
}

const toRun = (g: PageGeneration, loadMs: number): GenerationRun & { loadMs: number } => ({
  loadMs,
  promptTokens: g.promptTokens,
  completionTokens: g.completionTokens,
  ttftMs: g.ttftMs,
  // One definition for every runtime: prompt tokens over the time from the request to the first token.
  prefillTokPerS: (g.promptTokens * 1000) / g.ttftMs,
  decodeTokPerS: ((g.completionTokens - 1) * 1000) / g.decodeMs,
});

function emptyResult(runtime: Runtime, file: string, fileBytes: number): RuntimeResult {
  return {
    runtime,
    file,
    fileBytes,
    threads: THREADS,
    runs: [],
    loadMs: null,
    ttftMs: null,
    prefillTokPerS: null,
    decodeTokPerS: null,
    notes: [],
  };
}

function finishResult(result: RuntimeResult): RuntimeResult {
  result.loadMs = summarize(result.runs.map((r) => r.loadMs));
  result.ttftMs = summarize(result.runs.map((r) => r.ttftMs));
  result.prefillTokPerS = summarize(result.runs.map((r) => r.prefillTokPerS));
  result.decodeTokPerS = summarize(result.runs.map((r) => r.decodeTokPerS));
  const short = result.runs.filter((r) => r.completionTokens !== SETTINGS.newTokens);
  if (short.length) {
    result.notes.push(
      `${short.length} of ${result.runs.length} runs generated ${short.map((r) => r.completionTokens).join(', ')} tokens instead of ${SETTINGS.newTokens}`,
    );
  }
  const long = result.runs.filter((r) => r.promptTokens !== SETTINGS.promptTokens);
  if (long.length) result.notes.push(`prompt read as ${long[0]!.promptTokens} tokens`);
  return result;
}

// ---- Petit: the real app path (api.html → PetitEngine → comlink worker → transformers.backend) ----

type PetitWindow = { petit: PetitEngine };

async function petitLoad(page: Page, model: PreparedModel, kvCache = true): Promise<number> {
  return withTimeout(
    page.evaluate(
      async ({ repo, dtype, kvCache }) => {
        const { petit } = window as unknown as PetitWindow;
        const t0 = performance.now();
        const info = await petit.load({ id: repo, dtype: dtype as 'q4', device: 'wasm', kvCache });
        return { ms: performance.now() - t0, phases: info.loadPhases ?? [] };
      },
      { repo: model.repo, dtype: model.dtype, kvCache },
    ),
    LOAD_TIMEOUT,
    `Petit loading ${caseName(model)}`,
  ).then(({ ms, phases }) => {
    lastPetitLoad = `${Math.round(ms)} ms, of which ${phases.map((p) => `${p.name} ${Math.round(p.ms)}`).join(', ')} (the rest: page to worker, device probe)`;
    return ms;
  });
}

/** The last Petit load's phases, for the notes. */
let lastPetitLoad = '';

async function petitGenerate(
  page: Page,
  messages: ChatMessage[],
  maxTokens: number,
): Promise<PageGeneration> {
  return withTimeout(
    page.evaluate(
      async ({ messages, maxTokens }) => {
        const { petit } = window as unknown as PetitWindow;
        const t0 = performance.now();
        let first = 0;
        let last = 0;
        let text = '';
        let usage: CompletionUsage | undefined;
        const stream = (await petit.chat.completions.create({
          messages,
          max_tokens: maxTokens,
          temperature: 0,
          stream: true,
        })) as AsyncIterable<ChatCompletionChunk>;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content;
          if (delta) {
            last = performance.now();
            if (first === 0) first = last;
            text += delta;
          }
          if (chunk.usage) usage = chunk.usage;
        }
        if (!usage) throw new Error('The stream ended without usage.');
        const prompt = usage.prompt_tokens;
        return {
          promptTokens: prompt,
          completionTokens: usage.completion_tokens,
          ttftMs: first - t0,
          prefillMs: (prompt * 1000) / usage.extra.prefill_tokens_per_s,
          decodeMs: last - first,
          cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
          text,
        };
      },
      { messages, maxTokens },
    ),
    GENERATE_TIMEOUT,
    'Petit generating',
  );
}

// ---- transformers.js direct and wllama: bench pages of their own ----

type BenchWindow<T> = { bench: T };

async function openPage(browser: BenchBrowser, path: string): Promise<void> {
  await browser.page.goto(`${APP_URL}${path}`);
  if (path !== '/api.html')
    await browser.page.waitForFunction(() => 'bench' in window, null, { timeout: 30_000 });
  else {
    await browser.page.waitForFunction(() => 'petit' in window, null, { timeout: 30_000 });
    // The engine's watchdog restarts a worker that answers no ping for 30 s, and a worker cannot answer while
    // one long prefill runs (2048 tokens on this loaded 2-core machine took longer): the bench gives it 15 min.
    await browser.page.evaluate(() => {
      const w = window as unknown as PetitWindow & { PetitEngine: typeof PetitEngine };
      w.petit = new w.PetitEngine({ hubUrl: w.petit.hubUrl, hangTimeoutMs: 15 * 60_000 });
    });
  }
}

interface BrowserRuntime {
  runtime: Runtime;
  path: string;
  file: (m: PreparedModel) => { name: string; bytes: number };
  load: (page: Page, m: PreparedModel, prompt: Prompt) => Promise<number>;
  generate: (page: Page, prompt: Prompt, maxTokens: number) => Promise<PageGeneration>;
  /** The chat scenario: load (with or without KV reuse), then answer one conversation turn by turn. */
  chat?: {
    load: (page: Page, m: PreparedModel, reuse: boolean) => Promise<number>;
    answer: (page: Page, messages: ChatMessage[], reuse: boolean) => Promise<PageGeneration>;
  };
}

/** Tokens wllama must not emit, per model (see PromptBuilder.invalidUtf8Ids). */
let wllamaBanned: number[] = [];

const PETIT: BrowserRuntime = {
  runtime: 'petit',
  path: '/api.html',
  file: (m) => ({ name: m.onnxFile, bytes: m.onnxBytes }),
  load: (page, m) => petitLoad(page, m),
  generate: (page, prompt, maxTokens) => petitGenerate(page, prompt.messages, maxTokens),
  chat: {
    load: (page, m, reuse) => petitLoad(page, m, reuse),
    answer: (page, messages) => petitGenerate(page, messages, CHAT_ANSWER_TOKENS),
  },
};

function directGenerate(page: Page, messages: ChatMessage[], maxTokens: number, reuse = false) {
  return withTimeout(
    page.evaluate((request) => (window as unknown as BenchWindow<DirectBench>).bench.generate(request), {
      messages,
      maxTokens,
      reuse,
    }),
    GENERATE_TIMEOUT,
    'transformers.js generating',
  );
}

const DIRECT: BrowserRuntime = {
  runtime: 'direct',
  path: '/bench/pages/direct.html',
  file: (m) => ({ name: m.onnxFile, bytes: m.onnxBytes }),
  load: async (page, m) =>
    (
      await withTimeout(
        page.evaluate((request) => (window as unknown as BenchWindow<DirectBench>).bench.load(request), {
          hubUrl: HUB_URL,
          repo: m.repo,
          dtype: m.dtype,
          threads: THREADS,
          rewriteQ4: m.dtype === 'q4',
          ...DIRECT_VARIANT,
        }),
        LOAD_TIMEOUT,
        `transformers.js loading ${caseName(m)}`,
      )
    ).loadMs,
  generate: (page, prompt, maxTokens) => directGenerate(page, prompt.messages, maxTokens),
  chat: {
    load: (page, m, _reuse) => DIRECT.load(page, m, null as unknown as Prompt),
    answer: (page, messages, reuse) => directGenerate(page, messages, CHAT_ANSWER_TOKENS, reuse),
  },
};

const WLLAMA: BrowserRuntime = {
  runtime: 'wllama',
  path: '/bench/pages/wllama.html',
  file: (m) => ({ name: m.ggufFile, bytes: m.ggufBytes }),
  load: async (page, m) => {
    const info = await withTimeout(
      page.evaluate((request) => (window as unknown as BenchWindow<WllamaBench>).bench.load(request), {
        url: `${HUB_URL}/${m.repo}/resolve/main/${m.ggufFile}`,
        threads: THREADS,
        contextTokens: Math.max(...SETTINGS.contexts, SETTINGS.promptTokens) + SETTINGS.newTokens + 64,
      }),
      LOAD_TIMEOUT,
      `wllama loading ${caseName(m)}`,
    );
    if (info.threads !== THREADS) throw new Error(`wllama runs ${info.threads} threads, not ${THREADS}`);
    return info.loadMs;
  },
  generate: (page, prompt, maxTokens) =>
    withTimeout(
      page.evaluate((request) => (window as unknown as BenchWindow<WllamaBench>).bench.generate(request), {
        prompt: prompt.text,
        maxTokens,
        bannedIds: wllamaBanned,
      }),
      GENERATE_TIMEOUT,
      'wllama generating',
    ),
};

/** wllama's build needs memory64 and JSPI; without them it cannot run here at all (a skip, not a failure). */
async function wllamaUnsupported(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const wasm = WebAssembly as unknown as { Suspending?: unknown };
    // The smallest module with a 64-bit memory: magic, version, a memory section with flags 0x04 (i64), min 1.
    const memory64 = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 1]));
    const missing = [memory64 ? '' : 'memory64', wasm.Suspending ? '' : 'JSPI'].filter(Boolean);
    return missing.length ? `this browser lacks ${missing.join(' and ')}` : null;
  });
}

/** One runtime on one model; the main loop interleaves their runs so that load from other work hits all alike. */
interface Runner {
  result: RuntimeResult;
  /** Starts it and loads the model once (downloading into the browser's store), untimed. */
  prepare(): Promise<void>;
  /** One timed run: a fresh page, load from the store, generate. */
  run(index: number): Promise<void>;
  /** Decode speed after longer prompts. */
  contexts(): Promise<void>;
  /** The chat scenario, with KV reuse and without. */
  chat(): Promise<void>;
  close(): Promise<void>;
}

function describeError(error: unknown, browser?: BenchBrowser): string {
  const message = error instanceof Error ? error.message : String(error);
  const page = browser?.errors.length ? `\npage errors: ${browser.errors.slice(-5).join('\n')}` : '';
  return `${message}${page}`;
}

/** Runs one step of a runner; a failure is recorded and ends that runner, never the bench. */
async function guarded(runner: Runner, model: PreparedModel, step: () => Promise<void>): Promise<void> {
  const r = runner.result;
  if (r.error || r.skipped) return;
  try {
    await step();
  } catch (error) {
    r.error = describeError(error);
    progress.log(`FAILED ${r.runtime} on ${caseName(model)}: ${r.error.split('\n')[0]}`);
  }
}

function browserRunner(
  spec: BrowserRuntime,
  model: PreparedModel,
  prompt: Prompt,
  contextPrompts: Prompt[],
  chatTurns: string[],
): Runner {
  const file = spec.file(model);
  const result = emptyResult(spec.runtime, file.name, file.bytes);
  let browser: BenchBrowser | null = null;
  const label = (what: string) => progress.step(`${caseName(model)} · ${spec.runtime} · ${what}`);
  const fail = (error: unknown) => {
    throw new Error(describeError(error, browser ?? undefined));
  };
  return {
    result,
    async prepare() {
      label('starting, first load (download into the browser store)');
      browser = await launchBrowser();
      await openPage(browser, spec.path).catch(fail);
      if (spec.runtime === 'wllama') {
        const why = await wllamaUnsupported(browser.page);
        if (why) {
          result.skipped = `wllama cannot run here: ${why}`;
          progress.log(`SKIPPED wllama: ${result.skipped}`);
          return;
        }
      }
      const idle = browser.memory.peak();
      result.idleRssBytes = idle.rss;
      result.idlePssBytes = idle.pss;
      const firstLoad = await spec.load(browser.page, model, prompt).catch(fail);
      result.notes.push(`first load (download from the local hub) ${Math.round(firstLoad ?? 0)} ms`);
      // Peak memory covers the timed runs (fresh page, load from the store, generation), not the download.
      await browser.page.goto('about:blank');
      browser.memory.reset();
      progress.tick();
    },
    async run(index) {
      label(`run ${index + 1}/${SETTINGS.runs}`);
      const b = browser!;
      b.memory.start();
      let g: PageGeneration;
      let loadMs: number | undefined;
      try {
        await openPage(b, spec.path).catch(fail);
        loadMs = await spec.load(b.page, model, prompt).catch(fail);
        g = (await spec.generate(b.page, prompt, SETTINGS.newTokens).catch(fail))!;
      } finally {
        b.memory.stop();
      }
      result.runs.push(toRun(g, loadMs ?? NaN));
      if (index === 0) result.notes.push(`first tokens: ${JSON.stringify(g.text.slice(0, 60))}`);
      if (index === 0 && spec.runtime === 'petit') result.notes.push(`cached load ${lastPetitLoad}`);
      const peak = b.memory.peak();
      result.peakRssBytes = peak.rss;
      result.peakPssBytes = peak.pss;
      await b.page.goto('about:blank');
      progress.tick();
    },
    async contexts() {
      if (!contextPrompts.length) return;
      const b = browser!;
      await openPage(b, spec.path).catch(fail);
      await spec.load(b.page, model, prompt).catch(fail);
      result.contextScaling = [];
      for (const p of contextPrompts) {
        label(`decode after ${p.ids.length} tokens of context`);
        try {
          const g = await spec.generate(b.page, p, SETTINGS.contextNewTokens);
          result.contextScaling.push({
            contextTokens: g.promptTokens,
            completionTokens: g.completionTokens,
            decodeTokPerS: ((g.completionTokens - 1) * 1000) / g.decodeMs,
          });
        } catch (error) {
          // A failed point is reported; it does not void the timed runs.
          result.notes.push(`context ${p.ids.length}: ${describeError(error, b).split('\n')[0]}`);
          await openPage(b, spec.path).catch(fail);
          await spec.load(b.page, model, prompt).catch(fail);
        }
        progress.tick();
      }
    },
    async chat() {
      const chat = spec.chat;
      if (!chat || SETTINGS.chatTurns === 0) return;
      const b = browser!;
      result.chat = [];
      const texts: string[][] = [];
      for (const reuse of [true, false]) {
        label(`chat, ${SETTINGS.chatTurns} turns, KV cache reuse ${reuse ? 'on' : 'off'}`);
        const scenario: ChatScenario = { reuse, turns: [] };
        result.chat.push(scenario);
        const answers: string[] = [];
        texts.push(answers);
        await b.page.goto('about:blank');
        b.memory.reset();
        try {
          await openPage(b, spec.path);
          scenario.idlePssBytes = b.memory.peak().pss;
          b.memory.reset();
          b.memory.start();
          await chat.load(b.page, model, reuse);
          const messages: ChatMessage[] = [];
          for (let turn = 0; turn < SETTINGS.chatTurns; turn++) {
            messages.push({ role: 'user', content: chatTurns[turn]! });
            const g = await chat.answer(b.page, messages, reuse);
            messages.push({ role: 'assistant', content: g.text });
            answers.push(g.text);
            scenario.turns.push({
              promptTokens: g.promptTokens,
              cachedTokens: g.cachedTokens ?? 0,
              completionTokens: g.completionTokens,
              ttftMs: g.ttftMs,
            });
          }
        } catch (error) {
          scenario.error = describeError(error, b).split('\n')[0];
          progress.log(`chat scenario failed for ${spec.runtime}: ${scenario.error}`);
        } finally {
          b.memory.stop();
          scenario.peakPssBytes = b.memory.peak().pss;
        }
        progress.tick();
      }
      // Greedy answers must not depend on the cache: a difference is reported, never hidden.
      const differing = texts[0]!.findIndex((t, i) => texts[1]![i] !== undefined && texts[1]![i] !== t);
      if (differing !== -1)
        result.notes.push(`chat: turn ${differing + 1}'s answer differs with and without KV reuse`);
      await b.page.goto('about:blank');
    },
    async close() {
      await browser?.close();
    },
  };
}

// ---- onnxruntime-node, which also picks a prompt whose greedy reply runs the full length ----

async function nativeRunner(
  model: PreparedModel,
  builder: PromptBuilder,
): Promise<{ runner: Runner; prompt: Prompt; contextPrompts: Prompt[] }> {
  const result = emptyResult('native', model.onnxFile, model.onnxBytes);
  progress.step(`${caseName(model)} · native · creating the session`);
  const session = await openNative(model.dir, model.onnxFile, model.preset, THREADS);
  result.notes.push(`session created in ${Math.round(session.loadMs)} ms`);
  let prompt = builder.build(SETTINGS.promptTokens, 0);
  // Random weights may emit an end-of-turn token, which ends Petit's reply early: try other words until none is.
  for (let variant = 0; variant < 8; variant++) {
    progress.step(`${caseName(model)} · native · choosing a prompt (variant ${variant})`);
    prompt = builder.build(SETTINGS.promptTokens, variant);
    const g = await session.generate(prompt.ids, SETTINGS.newTokens);
    const stop = builder.firstStop(g.ids);
    if (stop === -1) break;
    result.notes.push(`prompt variant ${variant} hits an end token at ${stop}`);
  }
  progress.tick();
  const contextPrompts = SETTINGS.contexts.map((c) => builder.build(c, prompt.variant));
  const runner: Runner = {
    result,
    async prepare() {},
    async chat() {},
    async run(index) {
      progress.step(`${caseName(model)} · native · run ${index + 1}/${SETTINGS.runs}`);
      const g = await session.generate(prompt.ids, SETTINGS.newTokens);
      result.runs.push({ ...g, loadMs: session.loadMs });
      const stop = builder.firstStop(g.ids);
      if (stop !== -1 && index === 0)
        result.notes.push(`greedy reply has an end token at ${stop} (native keeps going)`);
      if (index === 0)
        result.notes.push(`first tokens: ${JSON.stringify(builder.decode(g.ids).slice(0, 60))}`);
      progress.tick();
    },
    async contexts() {
      if (!contextPrompts.length) return;
      result.contextScaling = [];
      for (const p of contextPrompts) {
        progress.step(`${caseName(model)} · native · decode after ${p.ids.length} tokens of context`);
        const g = await session.generate(p.ids, SETTINGS.contextNewTokens);
        result.contextScaling.push({
          contextTokens: p.ids.length,
          completionTokens: g.completionTokens,
          decodeTokPerS: g.decodeTokPerS,
        });
        progress.tick();
      }
    },
    close: () => session.release(),
  };
  return { runner, prompt, contextPrompts };
}

// ---- WebGPU on SwiftShader: correctness only ----

async function webgpuCheck(
  model: PreparedModel,
  prompt: Prompt,
  builder: PromptBuilder,
): Promise<BenchReport['webgpu']> {
  const tokens = 16;
  const name = caseName(model);
  const browser = await launchBrowser({ webgpu: true });
  try {
    progress.step(`${name} · WebGPU (SwiftShader) correctness check`);
    await openPage(browser, '/api.html');
    const run = async (device: 'wasm' | 'webgpu') => {
      await withTimeout(
        browser.page.evaluate(
          async ({ repo, dtype, device }) => {
            const { petit } = window as unknown as PetitWindow;
            const info = await petit.load({ id: repo, dtype: dtype as 'q4', device });
            if (info.device !== device)
              throw new Error(`ran on ${info.device}: ${info.fallbackReason ?? ''}`);
          },
          { repo: model.repo, dtype: model.dtype, device },
        ),
        LOAD_TIMEOUT,
        `loading on ${device}`,
      );
      return (await petitGenerate(browser.page, prompt.messages, tokens)).text;
    };
    const webgpu = await run('webgpu');
    // The reference is onnxruntime-node on the same file: Petit's WASM path runs a q4 file as its q8 rewrite,
    // its WebGPU path runs MatMulNBits itself.
    const native = await openNative(model.dir, model.onnxFile, model.preset, THREADS);
    const reference = builder.decode(
      (await native.generate(prompt.ids, tokens)).ids.filter((id) => !builder.stopIds.has(id)),
    );
    await native.release();
    const a = builder.encodeText(reference);
    const b = builder.encodeText(webgpu);
    let agree = 0;
    while (agree < Math.min(a.length, b.length) && a[agree] === b[agree]) agree++;
    progress.tick();
    return {
      model: name,
      ok: webgpu.length > 0,
      tokensCompared: a.length,
      tokensAgreeing: agree,
      note: `SwiftShader (CPU) WebGPU: checks that Petit's WebGPU path runs and agrees with onnxruntime-node on the same file; its speed says nothing about GPUs. Native ${JSON.stringify(reference.slice(0, 40))} vs WebGPU ${JSON.stringify(webgpu.slice(0, 40))}`,
    };
  } catch (error) {
    return {
      model: name,
      ok: false,
      note: `WebGPU check failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await browser.close();
  }
}

// ---- main ----

const PARTIAL = Boolean(
  args.only || args.runs || args.tokens || args.contexts !== undefined || args.direct || args['chat-turns'],
);
let resultsPath = '';

/** Writes the report (after every model too, so a stopped run keeps what it measured). */
function save(report: BenchReport): void {
  report.durationS = Math.round((Date.now() - started) / 1000);
  report.machine.loadAverage.end = loadavg()[0]!;
  if (!resultsPath) {
    const stamp = report.date.replace(/[:]/g, '-').replace(/\..*/, '');
    const name = `${QUICK ? 'quick-' : PARTIAL ? 'partial-' : ''}${stamp}.json`;
    resultsPath = args.out ?? join(REPO_ROOT, 'bench', 'results', QUICK ? 'tmp' : '', name);
    mkdirSync(join(resultsPath, '..'), { recursive: true });
  }
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
}

async function main(): Promise<number> {
  const machine = describeMachine(chromiumPath());
  const browserRuntimes = [PETIT, DIRECT, WLLAMA].filter((r) => !skip.has(r.runtime));
  const perCase =
    1 +
    SETTINGS.runs * (1 + browserRuntimes.length) +
    browserRuntimes.length +
    SETTINGS.contexts.length * (1 + browserRuntimes.filter((r) => r.runtime === 'petit').length) +
    (SETTINGS.chatTurns ? 2 * browserRuntimes.filter((r) => r.chat).length : 0);
  progress.addTotal(cases.length * perCase + (args['no-build'] ? 0 : 1) + (args['no-webgpu'] ? 0 : 1));

  mkdirSync(hubRoot, { recursive: true });
  const models = await prepareModels(cases, hubRoot, (m) => progress.step(m));
  const hub = await startHub({ root: hubRoot, port: HUB_PORT });
  if (!args['no-build']) build();
  else if (!existsSync(join(REPO_ROOT, 'bench/.dist/api.html')))
    throw new Error('--no-build needs a previous build');
  const preview = await startPreview();

  const report: BenchReport = {
    kind: QUICK ? 'quick' : 'full',
    date: new Date().toISOString(),
    label: args.label,
    durationS: 0,
    machine,
    settings: {
      runs: SETTINGS.runs,
      promptTokens: SETTINGS.promptTokens,
      newTokens: SETTINGS.newTokens,
      threads: THREADS,
      contexts: SETTINGS.contexts,
      contextNewTokens: SETTINGS.contextNewTokens,
      chatTurns: SETTINGS.chatTurns,
      chatUserTokens: CHAT_USER_TOKENS,
      chatAnswerTokens: CHAT_ANSWER_TOKENS,
    },
    cases: [],
  };
  try {
    const builders = new Map<string, PromptBuilder>();
    let webgpuTarget: { model: PreparedModel; prompt: Prompt } | null = null;
    for (const model of models) {
      const builder = builders.get(model.preset) ?? (await PromptBuilder.create(hubRoot, model.repo));
      builders.set(model.preset, builder);
      const caseResult: CaseResult = {
        preset: model.preset,
        dtype: model.dtype,
        ggufType: model.ggufType,
        promptVariant: 0,
        loadAverage: loadavg()[0]!,
        results: [],
      };
      report.cases.push(caseResult);
      wllamaBanned = builder.invalidUtf8Ids();
      const native = await nativeRunner(model, builder);
      const chatTurns = Array.from({ length: SETTINGS.chatTurns }, (_, i) =>
        builder.chatTurn(i, CHAT_USER_TOKENS),
      );
      caseResult.promptVariant = native.prompt.variant;
      webgpuTarget ??= { model, prompt: native.prompt };
      const runners = [
        ...(skip.has('native') ? [] : [native.runner]),
        ...browserRuntimes.map((spec) =>
          // Context scaling for Petit (and native): the peers' scaling would add minutes and little news.
          browserRunner(
            spec,
            model,
            native.prompt,
            spec.runtime === 'petit' ? native.contextPrompts : [],
            chatTurns,
          ),
        ),
      ];
      try {
        for (const r of runners) await guarded(r, model, () => r.prepare());
        for (let run = 0; run < SETTINGS.runs; run++) {
          for (const r of runners) await guarded(r, model, () => r.run(run));
        }
        for (const r of runners) await guarded(r, model, () => r.contexts());
        for (const r of runners) await guarded(r, model, () => r.chat());
      } finally {
        for (const r of runners) await r.close().catch(() => {});
        if (skip.has('native')) await native.runner.close().catch(() => {});
      }
      caseResult.results.push(...runners.map((r) => finishResult(r.result)));
      save(report);
    }
    if (!args['no-webgpu'] && webgpuTarget) {
      const target = webgpuTarget;
      report.webgpu = await webgpuCheck(target.model, target.prompt, builders.get(target.model.preset)!);
      progress.log(
        `WebGPU check: ${report.webgpu?.ok ? 'ran' : 'FAILED'} (${report.webgpu?.tokensAgreeing ?? 0}/${report.webgpu?.tokensCompared ?? 0} tokens agree with onnxruntime-node)`,
      );
    }
  } finally {
    preview.kill();
    await hub.close();
    progress.finish();
  }
  machine.loadAverage.end = loadavg()[0]!;

  save(report);
  const markdown = renderMarkdown(report);
  console.log(`\n${markdown}`);
  console.log(`results: ${resultsPath} (${report.durationS} s)`);
  if (!QUICK && !PARTIAL) {
    const path = join(REPO_ROOT, 'BENCHMARKS.md');
    if (!existsSync(path)) writeFileSync(path, '# Benchmarks\n');
    await writeBenchmarksMd(path, markdown);
    console.log('BENCHMARKS.md updated');
  }

  const broken = report.cases.flatMap((c) =>
    c.results
      .filter((r) => r.error || (r.skipped && QUICK && r.runtime !== 'wllama'))
      .map((r) => `${c.preset} ${c.dtype} ${r.runtime}: ${r.error ?? r.skipped}`),
  );
  if (report.webgpu && !report.webgpu.ok) broken.push(`webgpu: ${report.webgpu.note}`);
  if (QUICK) {
    for (const c of report.cases)
      for (const r of c.results) {
        if (
          !r.error &&
          !r.skipped &&
          r.runs.some((run) => !(run.decodeTokPerS > 0) || run.completionTokens < 2)
        )
          broken.push(`${c.preset} ${c.dtype} ${r.runtime}: no tokens measured`);
      }
  }
  if (broken.length) {
    console.error(`\nbench: ${broken.length} path(s) broke:\n${broken.join('\n')}`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress.finish();
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);

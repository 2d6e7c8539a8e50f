/**
 * `npm run smoke:webgpu`: for a machine with a real GPU and internet. Starts the app (Vite dev server), opens its
 * API page in Chromium with WebGPU, loads a real SmolLM2 MLC build through Petit's own engine, worker and model
 * store (the chooser picks web-llm and the build: SmolLM2-135M-Instruct-q0f16-MLC on a GPU with shader-f16,
 * q0f32 without), generates, and prints what ran and its speed. It fails loudly when web-llm did not run.
 *
 *   npm run smoke:webgpu                       # headless, SmolLM2-135M
 *   npm run smoke:webgpu -- --headed --model HuggingFaceTB/SmolLM2-360M-Instruct --tokens 256
 *
 * Chromium: $PETIT_CHROMIUM, else `chromium` on the PATH. Extra flags for your GPU go in $PETIT_CHROMIUM_ARGS
 * (Linux often needs `--enable-features=Vulkan --use-angle=vulkan`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'HuggingFaceTB/SmolLM2-135M-Instruct' },
    tokens: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    headed: { type: 'boolean', default: false },
    port: { type: 'string', default: '5183' },
  },
});

function chromiumPath(): string {
  if (process.env.PETIT_CHROMIUM) return process.env.PETIT_CHROMIUM;
  try {
    return execFileSync(
      'sh',
      ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome'],
      {
        encoding: 'utf8',
      },
    ).trim();
  } catch {
    throw new Error('No Chromium found: install one or set PETIT_CHROMIUM to its path.');
  }
}

const port = Number(values.port);
const server = await createServer({
  server: { port, strictPort: true, host: '127.0.0.1' },
  logLevel: 'warn',
});
await server.listen();
const dir = mkdtempSync(join(tmpdir(), 'petit-smoke-'));
const context = await chromium.launchPersistentContext(dir, {
  executablePath: chromiumPath(),
  headless: !values.headed,
  args: [
    '--no-first-run',
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    ...(process.env.PETIT_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? []),
  ],
});
let failed = false;
try {
  // tsx (esbuild) wraps functions in __name() calls, which then run inside page.evaluate: give the page one.
  await context.addInitScript('globalThis.__name = (f) => f;');
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  await page.goto(`http://127.0.0.1:${port}/api.html`);
  await page.waitForFunction(() => 'petit' in window, null, { timeout: 120_000 });
  type Petit = import('../src/index.ts').PetitEngine;
  const gpu = await page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    return adapter
      ? {
          vendor: adapter.info.vendor,
          architecture: adapter.info.architecture,
          f16: adapter.features.has('shader-f16'),
        }
      : null;
  });
  console.log('adapter:', gpu ?? 'none (WebGPU is unavailable: web-llm cannot run)');
  let lastLine = '';
  await page.exposeFunction('smokeProgress', (line: string) => {
    if (line !== lastLine) process.stdout.write(`\r${(lastLine = line).padEnd(100)}`);
  });
  const result = await page.evaluate(
    async ({ model, tokens, runs }) => {
      const petit = (window as unknown as { petit: Petit }).petit;
      const report = (window as unknown as { smokeProgress: (l: string) => void }).smokeProgress;
      const runtime = await petit.load(
        { id: model, backend: 'webllm', device: 'webgpu' },
        {
          onProgress: (p) =>
            void report(
              `${p.status} ${'file' in p ? p.file : ''} ${(p.loaded / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB`,
            ),
        },
      );
      const speeds = [];
      for (let i = 0; i < runs; i++) {
        const reply = await petit.chat.completions.create({
          messages: [{ role: 'user', content: 'Write a short story about a lighthouse keeper and a storm.' }],
          max_tokens: tokens,
          temperature: 0,
        });
        speeds.push({
          completion: reply.usage.completion_tokens,
          prompt: reply.usage.prompt_tokens,
          decode: reply.usage.extra.decode_tokens_per_s,
          prefill: reply.usage.extra.prefill_tokens_per_s,
          ttft: reply.usage.extra.time_to_first_token_ms,
          text: reply.choices[0].message.content.slice(0, 160),
        });
      }
      return { runtime, speeds };
    },
    { model: values.model, tokens: Number(values.tokens), runs: Number(values.runs) },
  );
  process.stdout.write('\n');
  const { runtime, speeds } = result;
  console.log(
    `ran: ${runtime.backend} on ${runtime.device}, ${runtime.mlcModelId ?? runtime.dtype}, loaded in ${(runtime.loadMs / 1000).toFixed(1)} s`,
  );
  if (runtime.fallbackReason) console.log(`fallback: ${runtime.fallbackReason}`);
  for (const [i, s] of speeds.entries()) {
    console.log(
      `run ${i + 1}: ${s.completion} tokens, decode ${s.decode.toFixed(1)} tokens/s, prefill ${s.prefill.toFixed(1)} tokens/s (${s.prompt} tokens), first token ${Math.round(s.ttft)} ms`,
    );
  }
  const sorted = speeds.map((s) => s.decode).sort((a, b) => a - b);
  console.log(`median decode: ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} tokens/s`);
  console.log(`sample: ${JSON.stringify(speeds[0].text)}`);
  if (runtime.backend !== 'webllm') {
    failed = true;
    console.error('smoke:webgpu FAILED: web-llm did not run this model.');
  }
} catch (error) {
  failed = true;
  console.error('\nsmoke:webgpu FAILED:', error instanceof Error ? error.message : error);
} finally {
  await context.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

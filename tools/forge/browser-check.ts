/**
 * Checks that forged models run in Chromium with onnxruntime-web, on WASM and on WebGPU (SwiftShader here), and
 * that their logits agree with onnxruntime-node's on a prefill and a decode step with past:
 *   npx tsx tools/forge/browser-check.ts [--preset tiny-llama] [--dtype fp32,q8,q4]
 * Not a unit test (it starts a browser); run it after changing the graph.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { chromium } from 'playwright-core';
import { forgeCached } from './cache.ts';
import { decoderDims, prefill, step } from './decoder-runner.ts';
import { checkDtypes } from './forge.ts';
import { getPreset, type PresetName } from './presets.ts';
import { DTYPE_SUFFIX } from './types.ts';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny-llama' },
    dtype: { type: 'string', default: 'fp32,q8,q4' },
  },
});
const preset = values.preset as PresetName;
const shape = getPreset(preset).shape;
const dims = decoderDims(shape);
const dtypes = checkDtypes(String(values.dtype).split(','));
const m = await forgeCached({ preset, dtypes, seed: 1 });
const ortDist = fileURLToPath(new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url));

const server = createServer((req, res) => {
  const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
  const [base, root] = url.startsWith('/ort/')
    ? ['/ort/', ortDist]
    : url.startsWith('/model/')
      ? ['/model/', m.dir]
      : ['', ''];
  if (!base && url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>forge check</title>');
    return;
  }
  try {
    const file = normalize(join(root, url.slice(base.length)));
    if (!base || !file.startsWith(root)) throw new Error('outside');
    const type = file.endsWith('.mjs')
      ? 'text/javascript'
      : file.endsWith('.wasm')
        ? 'application/wasm'
        : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const profile = mkdtempSync(join(tmpdir(), 'forge-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--enable-unsafe-webgpu',
  ],
});

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

// tsx compiles the page function with esbuild's keepNames helper; give the page that helper.
await browser.addInitScript('globalThis.__name = (f) => f;');

const prompt = [5, 17, 250, 3, 99, 512, 640, 8];
let failed = false;
try {
  const node = new Map<string, { prefill: Float32Array; decode: Float32Array }>();
  for (const dtype of dtypes) {
    const session = await ort.InferenceSession.create(
      join(m.dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`),
    );
    const ones = prompt.map(() => 1);
    const a = await prefill(session, ort, dims, prompt);
    const a2 = await step(session, ort, dims, [[9]], [[prompt.length]], [[...ones, 1]], a.past);
    node.set(dtype, { prefill: a.logits, decode: a2.logits });
    await session.release();
  }
  const fp32 = node.get('fp32');
  for (const dtype of dtypes) {
    const file = `model${DTYPE_SUFFIX[dtype]}.onnx`;
    const ref = node.get(dtype)!;
    for (const ep of ['wasm', 'webgpu'] as const) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      const result = await page
        .evaluate(
          async ({ file, ep, prompt, dims }) => {
            const ortw = await import(
              /* @vite-ignore */ `/ort/${ep === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs'}`
            );
            ortw.env.wasm.wasmPaths = '/ort/';
            ortw.env.wasm.numThreads = 1;
            const s = await ortw.InferenceSession.create(`/model/onnx/${file}`, { executionProviders: [ep] });
            const i64 = (v: number[], d: number[]) =>
              new ortw.Tensor('int64', BigInt64Array.from(v.map(BigInt)), d);
            const feeds: Record<string, unknown> = {
              input_ids: i64(prompt, [1, prompt.length]),
              position_ids: i64(
                prompt.map((_, i) => i),
                [1, prompt.length],
              ),
              attention_mask: i64(
                prompt.map(() => 1),
                [1, prompt.length],
              ),
            };
            for (let i = 0; i < dims.numLayers; i++)
              for (const kv of ['key', 'value'])
                feeds[`past_key_values.${i}.${kv}`] = new ortw.Tensor('float32', new Float32Array(0), [
                  1,
                  dims.numKvHeads,
                  0,
                  dims.headDim,
                ]);
            const out = await s.run(feeds);
            const next: Record<string, unknown> = {
              input_ids: i64([9], [1, 1]),
              position_ids: i64([prompt.length], [1, 1]),
              attention_mask: i64([...prompt.map(() => 1), 1], [1, prompt.length + 1]),
            };
            for (let i = 0; i < dims.numLayers; i++)
              for (const kv of ['key', 'value'])
                next[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
            const out2 = await s.run(next);
            return {
              prefill: Array.from(await out.logits.getData()) as number[],
              decode: Array.from(await out2.logits.getData()) as number[],
            };
          },
          { file, ep, prompt, dims },
        )
        .catch((err: Error) => err);
      await page.close();
      if (result instanceof Error) {
        console.log(`${preset} ${dtype} chromium ${ep}: cannot run: ${result.message.split('\n')[0]}`);
        continue;
      }
      const got = [...result.prefill, ...result.decode];
      const want = [...ref.prefill, ...ref.decode];
      const maxAbs = got.reduce((mx, v, i) => Math.max(mx, Math.abs(v - want[i]!)), 0);
      const rel = relError(got, want);
      // WASM runs the same CPU kernels as node: near-exact. WebGPU's float math differs in rounding (and the
      // random test model amplifies any rounding): within 1% of node, or for quantized files no further from
      // fp32 than node's own quantized result is (+1%).
      let ok: boolean;
      let note = '';
      if (ep === 'wasm') ok = maxAbs < 1e-4;
      else if (dtype === 'fp32' || !fp32) ok = rel < 0.01;
      else {
        const fp32All = [...fp32.prefill, ...fp32.decode];
        const mine = relError(got, fp32All);
        const nodes = relError(want, fp32All);
        ok = mine < 1.5 * nodes + 0.01;
        note = `; vs fp32: ${pct(mine)} (node ${pct(nodes)})`;
      }
      failed ||= !ok;
      console.log(
        `${preset} ${dtype} chromium ${ep}: vs node max |diff| ${maxAbs.toExponential(2)}, relative ${pct(rel)}${note} ${ok ? 'ok' : 'MISMATCH'}`,
      );
    }
  }
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

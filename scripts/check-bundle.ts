/**
 * Checks the production build: the main thread must load no inference runtime (ONNX Runtime, transformers.js,
 * web-llm): those belong in the worker. Prints the gzip size of what each page loads before any model.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WEBGPU_ONLY_FILES, webgpuOnlyFile } from '../src/sw/runtime-chunks.ts';

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
  css?: string[];
}

const dist = process.argv[2] ?? 'dist';
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
  string,
  ManifestChunk
>;

/** Strings only the runtimes contain; finding one in a main-thread chunk means a runtime leaked there. */
const RUNTIME_MARKERS = [
  'InferenceSession',
  'ort-wasm-simd',
  'onnxruntime',
  'MLCEngine',
  'tvmjs',
  'AutoModelForCausalLM',
];

function staticClosure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) staticClosure(dep, seen);
  return seen;
}

let failed = false;
for (const entry of ['index.html', 'api.html', 'embed.html']) {
  if (!manifest[entry]) continue;
  const files = [...staticClosure(entry)].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(dist, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    const text = bytes.toString('utf8');
    const leaked = RUNTIME_MARKERS.filter((m) => text.includes(m));
    if (leaked.length > 0) {
      failed = true;
      console.error(`✗ ${entry}: ${file} is loaded on the main thread and contains ${leaked.join(', ')}`);
    }
  }
  console.log(
    `${entry}: main-thread JavaScript ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip (${files.length} files)`,
  );
}
if (failed) {
  console.error('An inference runtime is in the main-thread bundle: import it only from workers/.');
  process.exit(1);
}
console.log('ok: no inference runtime on the main thread');

// The widget other sites load: one self-contained file with a stable name, kept tiny.
const WIDGET_BUDGET_GZIP = 4 * 1024;
if (existsSync(join(dist, 'widget.js'))) {
  const widget = readFileSync(join(dist, 'widget.js'));
  const widgetGzip = gzipSync(widget, { level: 9 }).length;
  console.log(
    `widget.js: ${(widget.length / 1024).toFixed(1)} KiB, ${(widgetGzip / 1024).toFixed(2)} KiB gzip`,
  );
  if (/^\s*import[\s{*]|\bimport\(/m.test(widget.toString('utf8'))) {
    console.error('✗ widget.js imports another file: it must stay one self-contained script.');
    process.exit(1);
  }
  if (widgetGzip > WIDGET_BUDGET_GZIP) {
    console.error(`✗ widget.js is over its budget of ${WIDGET_BUDGET_GZIP / 1024} KiB gzip.`);
    process.exit(1);
  }
}

// The service worker's precache: each file once, no source maps, no model weights.
if (existsSync(join(dist, 'sw.js'))) {
  const urls = [...readFileSync(join(dist, 'sw.js'), 'utf8').matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
  const duplicates = urls.filter((u, i) => urls.indexOf(u) !== i);
  const forbidden = urls.filter((u) => /\.map$|\.onnx|\/resolve\//.test(u) || webgpuOnlyFile(`/${u}`) >= 0);
  // The WebGPU-only files stay out of the precache by their names: a renamed file would slip back in unnoticed.
  const assets = readdirSync(join(dist, 'assets'));
  for (const file of WEBGPU_ONLY_FILES) {
    if (!assets.some((f) => file.path.test(`/assets/${f}`))) {
      console.error(
        `✗ no ${file.glob} in the build: ${file.name} is no longer named as src/sw/runtime-chunks.ts expects.`,
      );
      process.exit(1);
    }
  }
  const bytes = urls.reduce(
    (sum, u) => sum + (existsSync(join(dist, u)) ? statSync(join(dist, u)).size : 0),
    0,
  );
  console.log(`precache: ${urls.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  if (
    !urls.some((u) => u.endsWith('.wasm')) ||
    !urls.includes('index.html') ||
    !urls.includes('embed.html')
  ) {
    console.error('✗ the precache misses the app shell, the embed page or the ONNX Runtime wasm.');
    process.exit(1);
  }
  if (duplicates.length > 0 || forbidden.length > 0) {
    console.error(
      `✗ precache: duplicates ${JSON.stringify(duplicates)}, not to precache ${JSON.stringify(forbidden)}`,
    );
    process.exit(1);
  }
}

/**
 * Checks the production build: the main thread must load no inference runtime (ONNX Runtime, transformers.js,
 * web-llm): those belong in the worker. Prints the gzip size of what each page loads before any model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

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
for (const entry of ['index.html', 'api.html']) {
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

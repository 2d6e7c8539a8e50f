/**
 * Files only a WebGPU device loads, which the precache leaves out and the service worker caches the first time
 * they are used: web-llm's 6 MB chunk and ONNX Runtime's 27 MB asyncify wasm (WASM sessions run the plain build,
 * see workers/backends/ort-wasm.ts). Shared by vite.config.ts (the precache's ignore list), the service worker
 * (its route) and scripts/check-bundle.ts.
 */
export const WEBGPU_ONLY_FILES = [
  { name: 'web-llm', glob: 'assets/web-llm-*.js', path: /^\/assets\/web-llm-[^/]+\.js$/ },
  {
    name: 'ORT asyncify wasm',
    glob: 'assets/ort-wasm-simd-threaded.asyncify-*.wasm',
    path: /^\/assets\/ort-wasm-simd-threaded\.asyncify-[^/]+\.wasm$/,
  },
] as const;

/** Which of the WebGPU-only files a same-origin path is, or -1. */
export function webgpuOnlyFile(pathname: string): number {
  return WEBGPU_ONLY_FILES.findIndex((f) => f.path.test(pathname));
}

/** Of the cached URLs, the older builds' copies of the same file as `kept` (names are content hashes). */
export function supersededChunks(cached: readonly string[], kept: string): string[] {
  const family = webgpuOnlyFile(new URL(kept).pathname);
  if (family < 0) return [];
  return cached.filter((url) => url !== kept && webgpuOnlyFile(new URL(url).pathname) === family);
}

/**
 * ONNX Runtime's wasm (the plain build and the asyncify one). V8 keeps its optimised code for a wasm module beside
 * the module's HTTP-cache entry, and reuses it only for a response the service worker passes through unchanged: one
 * served from Cache Storage is compiled cold at every load, which costs about 0.6 s of the load and halves the
 * first prefill (BENCHMARKS.md, "V8's wasm code cache").
 */
export function isOrtWasm(pathname: string): boolean {
  return /^\/assets\/ort-wasm-simd-threaded(?:\.[a-z]+)?-[^/]+\.wasm$/.test(pathname);
}

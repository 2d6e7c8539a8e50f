/**
 * Files the precache leaves out and the service worker caches the first time they are used: web-llm's 6 MB
 * chunk, which only a device with WebGPU ever loads. Shared by vite.config.ts (the precache's ignore list), the
 * service worker (its route) and scripts/check-bundle.ts.
 */
export const WEBLLM_CHUNK_GLOB = 'assets/web-llm-*.js';
export const WEBLLM_CHUNK_PATH = /^\/assets\/web-llm-[^/]+\.js$/;

/** Of the cached URLs, those an older build left (file names are content hashes): all but the one kept. */
export function supersededChunks(cached: readonly string[], kept: string): string[] {
  return cached.filter((url) => url !== kept && WEBLLM_CHUNK_PATH.test(new URL(url).pathname));
}

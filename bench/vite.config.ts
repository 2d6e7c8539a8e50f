/**
 * The bench build: the app's own config (same workers, same self-hosted ORT wasm, same COOP/COEP headers in
 * `vite preview`) plus the peer pages, into bench/.dist so it never touches the app's dist/.
 */
import { mergeConfig } from 'vite';
import base from '../vite.config.ts';

export const BENCH_OUT_DIR = 'bench/.dist';

const config = mergeConfig(base, {
  build: { outDir: BENCH_OUT_DIR, emptyOutDir: true, sourcemap: false },
});
// Replaced, not merged: the bench needs the API page (the engine alone), not the whole app.
config.build!.rollupOptions = {
  ...config.build!.rollupOptions,
  input: { api: 'api.html', direct: 'bench/pages/direct.html', wllama: 'bench/pages/wllama.html' },
};

export default config;

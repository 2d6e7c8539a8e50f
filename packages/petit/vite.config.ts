/**
 * The library build (`npm run build:lib` at the top, `npm run build` here): `PetitEngine` from ../../src/index.ts
 * as an ES module in dist/, with its inference worker and ONNX Runtime's wasm emitted beside it as files, so
 * another app can `import { PetitEngine } from 'petit'` and run it with no further setup, or pass `createWorker`
 * to use a worker it bundles itself. Types come from `tsc -p tsconfig.json`.
 *
 * Not Vite's library mode: that mode inlines every asset as base64, which would put ONNX Runtime's ~27 MB
 * wasm inside a script (twice). A plain build with a script entry, relative URLs and kept exports does the job.
 */
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

/** Paths from this folder, whichever folder the build is started from. */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Vite writes the worker's URL as `new URL(new URL('assets/…', import.meta.url).href, import.meta.url)`, which
 * the app's bundler would copy as a file without its chunks. Written as the plain
 * `new Worker(new URL('./assets/inference.worker.js', import.meta.url))` pattern, every bundler that knows
 * workers (Vite, webpack 5, Parcel, esbuild plugins) bundles the worker and what it imports.
 */
function bundlerFriendlyWorkerUrl(): Plugin {
  const nested =
    /new URL\(\s*(?:\/\*[^*]*\*\/\s*)?new URL\((["'`])assets\/inference\.worker\.js\1,\s*import\.meta\.url\)\.href,\s*(?:(["'`])\2\s*\+\s*)?import\.meta\.url\s*\)/g;
  return {
    name: 'petit-lib-worker-url',
    renderChunk(code, chunk) {
      if (chunk.fileName !== 'petit.js') return null;
      const rewritten = code.replace(nested, "new URL('./assets/inference.worker.js', import.meta.url)");
      if (rewritten === code)
        this.error('petit.js: the worker URL pattern changed; update packages/petit/vite.config.ts.');
      return { code: rewritten, map: null };
    },
  };
}

export default defineConfig({
  root: here('.'),
  // The app's public/ folder (icons, manifest assets) is not part of the library.
  publicDir: false,
  plugins: [bundlerFriendlyWorkerUrl()],
  // Every URL relative to the file that holds it, wherever the consumer's bundler puts the package.
  base: './',
  worker: {
    format: 'es',
    // A stable name: apps that bundle the worker themselves import it as `petit/worker`.
    rollupOptions: { output: { entryFileNames: 'assets/[name].js' } },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Apps minify when they bundle; readable code is easier to debug from node_modules.
    minify: false,
    copyPublicDir: false,
    rollupOptions: {
      input: { petit: here('../../src/index.ts') },
      preserveEntrySignatures: 'strict',
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});

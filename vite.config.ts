import { defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { ISOLATION_HEADERS, headersForPath } from './src/sw/headers.ts';
import { parseWidgetOrigins, type WidgetOrigins } from './src/widget/origins.ts';
import { contentSecurityPolicy } from './src/app/csp-policy.ts';
import { WEBGPU_ONLY_FILES } from './src/sw/runtime-chunks.ts';

/** Cross-origin isolation lets ONNX Runtime use several WASM threads (SharedArrayBuffer). */
export const isolationHeaders = ISOLATION_HEADERS;

/**
 * Sets the per-path headers (isolation everywhere; /embed and /widget.js may be used by other sites). `vite
 * preview` also sends the Content Security Policy as a header, which binds workers too; `vite dev` cannot (it
 * injects inline scripts for React refresh).
 */
function petitHeaders(widget: WidgetOrigins, csp: string): Plugin {
  const middleware =
    (policy: string | undefined): Connect.NextHandleFunction =>
    (req, res: ServerResponse, next) => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      for (const [name, value] of Object.entries(headersForPath(pathname, widget, policy)))
        res.setHeader(name, value);
      next();
    };
  return {
    name: 'petit-headers',
    configureServer: (server) => void server.middlewares.use(middleware(undefined)),
    configurePreviewServer: (server) => void server.middlewares.use(middleware(csp)),
  };
}

/**
 * The Content Security Policy (src/app/csp-policy.ts) as the first element of every built page's <head>, so any
 * static host serves it. Build only: the dev server injects inline scripts (React refresh).
 */
function petitCsp(policy: string): Plugin {
  return {
    name: 'petit-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: policy },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/** Shown in the app and changed by every build, so an update is visible. */
function buildId(): string {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  let commit = 'dev';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (e.g. an unpacked tarball): the timestamp still tells builds apart.
  }
  return `${version}+${commit}.${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
}

// The widget allow-list comes from the environment at build time, as the app's other VITE_PETIT_* settings.
const widget = parseWidgetOrigins(process.env.VITE_PETIT_WIDGET_ORIGINS);
const csp = contentSecurityPolicy({
  hubUrl: process.env.VITE_PETIT_HUB_URL || 'https://huggingface.co',
  extraConnect: process.env.VITE_PETIT_CSP_CONNECT,
  // The widget's remote model (src/widget/widget-provider.ts) is reached from the embed page.
  widgetProvider: process.env.VITE_PETIT_WIDGET_PROVIDER,
});

export default defineConfig({
  // The app and the widget use the library as `petit` (packages/petit), from its source: no build of it needed first.
  resolve: {
    alias: [{ find: /^petit$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  plugins: [
    react(),
    petitHeaders(widget, csp),
    petitCsp(csp),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      // The app registers it itself (src/app/pwa) to show the update prompt.
      injectRegister: false,
      registerType: 'prompt',
      manifest: {
        id: '/',
        name: 'Petit — small models, on your device',
        short_name: 'Petit',
        description: 'Chat with small open language models that run entirely on your device, even offline.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#2f6f5e',
        background_color: '#f7f5f0',
        categories: ['productivity', 'utilities'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
        shortcuts: [
          {
            name: 'New chat',
            short_name: 'New chat',
            url: '/?new-chat',
            icons: [{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' }],
          },
          {
            name: 'API playground',
            short_name: 'API',
            url: '/api.html',
            icons: [{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' }],
          },
        ],
      },
      // The glob below lists the icons and the manifest already: adding them again would precache them twice.
      includeManifestIcons: false,
      injectManifest: {
        // The app shell, the worker and ONNX Runtime's 14 MB CPU wasm; never source maps, never widget.js
        // (other sites load it, never through this worker), never model weights (the model store's).
        globPatterns: ['**/*.{js,mjs,css,html,svg,png,wasm,webmanifest}'],
        // web-llm (6 MB) and ORT's asyncify wasm (27 MB) run only on a WebGPU device: the service worker caches
        // them on first use instead.
        globIgnores: [
          '**/*.map',
          'widget.js',
          '.vite/**',
          'manifest.webmanifest',
          ...WEBGPU_ONLY_FILES.map((f) => f.glob),
        ],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        // A classic worker script: registers wherever service workers exist.
        rollupFormat: 'iife',
        // Hashed file names are their own revision.
        dontCacheBustURLsMatching: /^assets\//,
      },
      devOptions: { enabled: false },
    }),
  ],
  // PETIT_BUILD_ID names a build explicitly (the update test deploys one).
  define: { __PETIT_BUILD__: JSON.stringify(process.env.PETIT_BUILD_ID || buildId()) },
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        // A stable name lets the precache leave web-llm out and the service worker cache it when first used.
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => id.includes('/@mlc-ai/web-llm/'))
            ? 'assets/web-llm-[hash].js'
            : 'assets/[name]-[hash].js',
      },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    // scripts/check-bundle.ts reads it to find what the main thread loads.
    manifest: true,
    rollupOptions: {
      input: {
        main: 'index.html',
        api: 'api.html',
        embed: 'embed.html',
        widget: 'src/widget/widget.ts',
      },
      output: {
        // Other sites link to /widget.js: its name never changes.
        entryFileNames: (chunk) => (chunk.name === 'widget' ? 'widget.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});

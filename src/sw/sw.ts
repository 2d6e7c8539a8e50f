/// <reference lib="webworker" />
/**
 * Petit's service worker (vite-plugin-pwa, injectManifest): precaches the app shell and ONNX Runtime's wasm so
 * the app starts and runs offline, serves /embed and the app's routes from the precache, and re-adds the
 * isolation headers to what it serves; web-llm's chunk and ORT's asyncify wasm are cached the first time a WebGPU
 * device loads them. Model weights are never precached: the model store keeps them in
 * `petit-models-v1`, which this worker never deletes. A new version waits until the page asks it to take over
 * (the "Update available — Reload" prompt), never swapping under an open page on its own.
 */
import {
  addPlugins,
  createHandlerBoundToURL,
  matchPrecache,
  precacheAndRoute,
  type PrecacheEntry,
} from 'workbox-precaching';
import { cacheNames, setCacheNameDetails } from 'workbox-core';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { parseWidgetOrigins } from '../widget/origins.ts';
import { staleCaches } from './cache-cleanup.ts';
import { headersForPath } from './headers.ts';
import { isOrtWasm, supersededChunks, webgpuOnlyFile } from './runtime-chunks.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

/** Bump when the precache layout changes: activate deletes the older versions' caches. */
const CACHE_VERSION = 'v1';
setCacheNameDetails({ prefix: 'petit', suffix: CACHE_VERSION, precache: 'precache', runtime: 'runtime' });

const widgetOrigins = parseWidgetOrigins(import.meta.env.VITE_PETIT_WIDGET_ORIGINS);

function withHeaders(response: Response, pathname: string): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(headersForPath(pathname, widgetOrigins)))
    headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

addPlugins([
  {
    // Everything served from the precache gets the headers the server would have sent (Cache Storage may hold
    // a response saved from a server that sent none, and a navigation fallback is served under another URL).
    handlerWillRespond: async ({ request, response }) => withHeaders(response, new URL(request.url).pathname),
  },
]);

// Registered before the precache's route, which would otherwise answer first. ORT's wasm comes from the HTTP
// cache, passed through unchanged, so V8 reuses its optimised code (see isOrtWasm); only when the HTTP cache does not
// hold it is our cached copy served, and the HTTP cache filled behind it for the next load. Never slower than the
// cached copy alone, and offline-safe: `only-if-cached` never touches the network.
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && isOrtWasm(url.pathname),
  async ({ request, url, event }) => {
    try {
      return await fetch(request, { cache: 'only-if-cached', mode: 'same-origin' });
    } catch {
      // Not in the HTTP cache (first load, evicted, or cleared).
    }
    const stored =
      (await matchPrecache(request.url)) ?? (await (await caches.open(cacheNames.runtime)).match(request));
    // The asyncify build's first use: from the network, kept in the runtime cache.
    if (!stored) return fetchWebgpuOnly(request, url);
    // Read to the end (a cancelled body would not be kept by the HTTP cache), into nothing.
    const fill = fetch(request).then((r) => r.body?.pipeTo(new WritableStream()));
    event.waitUntil(fill.catch(() => undefined));
    return withHeaders(stored, url.pathname);
  },
);

precacheAndRoute(self.__WB_MANIFEST, { cleanURLs: true });

// web-llm's chunk and ORT's asyncify wasm are not precached (only WebGPU devices load them): cached on first
// use, one build's copy of each kept.
async function fetchWebgpuOnly(request: Request, url: URL): Promise<Response> {
  const cache = await caches.open(cacheNames.runtime);
  const cached = await cache.match(request);
  if (cached) return withHeaders(cached, url.pathname);
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
    const keys = (await cache.keys()).map((r) => r.url);
    await Promise.all(supersededChunks(keys, request.url).map((old) => cache.delete(old)));
  }
  return response;
}
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && webgpuOnlyFile(url.pathname) >= 0,
  async ({ request, url }) => fetchWebgpuOnly(request, url),
);

// Navigations the precache does not know: /embed/… gets the embed page, every other route the app shell.
const embedHandler = createHandlerBoundToURL('/embed.html');
registerRoute(
  new NavigationRoute(async (options) => withHeaders(await embedHandler(options), '/embed'), {
    allowlist: [/^\/embed(?:\/|$)/],
  }),
);
const appHandler = createHandlerBoundToURL('/index.html');
registerRoute(
  new NavigationRoute(async (options) => withHeaders(await appHandler(options), '/'), {
    // Files with an extension are real resources (api.html, widget.js…), not app routes.
    denylist: [/\/[^/?]+\.[^/?]+$/, /^\/embed(?:\/|$)/],
  }),
);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const stale = staleCaches(await caches.keys(), [cacheNames.precache, cacheNames.runtime]);
      await Promise.all(stale.map((name) => caches.delete(name)));
      await self.clients.claim();
    })(),
  );
});

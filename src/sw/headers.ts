import { frameAncestors, type WidgetOrigins } from '../widget/origins.ts';

/**
 * Response headers by path, one table for vite dev/preview and for the service worker, which must re-add them:
 * a page served from the SW without COOP/COEP is not cross-origin isolated and ONNX Runtime silently drops to
 * one WASM thread.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function isEmbedPath(pathname: string): boolean {
  return pathname === '/embed' || pathname === '/embed/' || pathname === '/embed.html';
}

export function headersForPath(pathname: string, widget: WidgetOrigins): Record<string, string> {
  if (isEmbedPath(pathname)) {
    // Framed by other sites: CORP cross-origin lets an isolated host (COEP) embed it, COEP keeps the iframe
    // isolatable (`allow="cross-origin-isolated"`), and frame-ancestors limits framing to the allow-list.
    return {
      ...ISOLATION_HEADERS,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Content-Security-Policy': frameAncestors(widget),
    };
  }
  if (pathname === '/widget.js') {
    // Loaded by other sites' pages as a module script (a CORS request).
    return {
      ...ISOLATION_HEADERS,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Access-Control-Allow-Origin': '*',
    };
  }
  return { ...ISOLATION_HEADERS };
}

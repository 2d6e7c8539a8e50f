import { frameAncestors, type WidgetOrigins } from '../widget/origins.ts';

/**
 * Response headers by path, one table for vite dev/preview and for the service worker, which must re-add them:
 * a page served from the SW without COOP/COEP is not cross-origin isolated and ONNX Runtime silently drops to
 * one WASM thread.
 *
 * With `csp` (the built app's policy, src/app/csp-policy.ts) every response also carries it as a header: a
 * `<meta>` policy binds only its own document, while a worker takes its policy from its script's response, so
 * without the header the inference worker could fetch anything.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function isEmbedPath(pathname: string): boolean {
  return pathname === '/embed' || pathname === '/embed/' || pathname === '/embed.html';
}

/**
 * The reachability probe (src/escalation/providers/reach-probe.shared-worker.ts) must run without COEP: under
 * `require-corp` it could not see that a server answered at all.
 */
export function isReachProbePath(pathname: string): boolean {
  return /\/reach-probe\.shared-worker[^/]*$/.test(pathname);
}

export function headersForPath(
  pathname: string,
  widget: WidgetOrigins,
  csp?: string,
): Record<string, string> {
  const policy: Record<string, string> = csp ? { 'Content-Security-Policy': csp } : {};
  if (isReachProbePath(pathname)) {
    return { 'Cross-Origin-Resource-Policy': 'same-origin', ...policy };
  }
  if (isEmbedPath(pathname)) {
    // Framed by other sites: CORP cross-origin lets an isolated host (COEP) embed it, COEP keeps the iframe
    // isolatable (`allow="cross-origin-isolated"`), and frame-ancestors limits framing to the allow-list.
    return {
      ...ISOLATION_HEADERS,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      // frame-ancestors works only in a header; the rest of the policy is the app's.
      'Content-Security-Policy': csp ? `${csp}; ${frameAncestors(widget)}` : frameAncestors(widget),
    };
  }
  if (pathname === '/widget.js') {
    // Loaded by other sites' pages as a module script (a CORS request).
    return {
      ...ISOLATION_HEADERS,
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Access-Control-Allow-Origin': '*',
      ...policy,
    };
  }
  return { ...ISOLATION_HEADERS, ...policy };
}

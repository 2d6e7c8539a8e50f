/**
 * Asks whether anything answers at an address, for reachability.ts: a plain `no-cors` GET whose opaque answer
 * says only "something is there". Served without COEP (src/sw/headers.ts), because under `require-corp` an
 * opaque answer without a CORP header is blocked and the question cannot be asked; if it comes up
 * cross-origin isolated anyway (a host that adds COEP everywhere) it says it cannot tell.
 */
interface ProbeScope {
  onconnect: ((event: MessageEvent) => void) | null;
  crossOriginIsolated: boolean;
}

const scope = self as unknown as ProbeScope;

scope.onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message: MessageEvent<{ url?: unknown }>) => {
    const url = message.data?.url;
    if (scope.crossOriginIsolated || typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      port.postMessage({ answered: null });
      return;
    }
    fetch(url, {
      mode: 'no-cors',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    }).then(
      () => port.postMessage({ answered: true }),
      () => port.postMessage({ answered: false }),
    );
  };
};

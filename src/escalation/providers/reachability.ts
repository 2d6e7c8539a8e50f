/**
 * Why a request to a provider failed when the browser says only "Failed to fetch". A page cannot read why a
 * request failed (a CORS refusal, a CSP block, a closed port and Chrome's Local Network Access all look the
 * same), so this asks three other witnesses:
 *
 * - the page's own `securitypolicyviolation` events: a `connect-src` violation for the provider's origin means
 *   this page's Content Security Policy blocked it;
 * - a plain `no-cors` GET of the provider's origin from a shared worker served without COEP (under the app's
 *   `require-corp` an opaque answer without CORP is itself blocked, so the page cannot ask): an answer means
 *   the server is there and refused this page's origin (CORS); no answer means nothing listens. It carries no
 *   key, no body and no cookie, and goes only to the host the user already chose;
 * - the Local Network Access permission (Chrome 142+) when a public page reaches this computer or the LAN.
 */

export type Reach =
  /** This page's CSP blocked the request before it left. */
  | { kind: 'csp' }
  | { kind: 'offline' }
  /** The host answers a plain request: it is running and refused this page's origin (CORS). */
  | { kind: 'refused-origin'; lna: LnaHint }
  /** Nothing answered a plain request either. */
  | { kind: 'no-answer'; lna: LnaHint }
  /** The probe could not run (no SharedWorker, or it came up cross-origin isolated). */
  | { kind: 'unknown'; lna: LnaHint };

/**
 * Chrome's Local Network Access: `denied` when the permission is blocked for this site, `possible` when a
 * public page reaches loopback or the LAN (a prompt may have been dismissed), null when it does not apply.
 */
export type LnaHint = 'denied' | 'possible' | null;

export type AddressSpace = 'loopback' | 'local' | 'public';

/** The address space of a host name, as Local Network Access sorts them (literal addresses and names). */
export function addressSpace(hostname: string): AddressSpace {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1') return 'loopback';
  if (
    /^10\./.test(h) ||
    /^192\.168\./.test(h) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(h) ||
    /^169\.254\./.test(h) ||
    h.endsWith('.local') ||
    /^f[cd][0-9a-f]{0,2}:/.test(h) ||
    /^fe[89ab][0-9a-f]?:/.test(h)
  )
    return 'local';
  return 'public';
}

function pageLocation(): { origin: string; hostname: string; protocol: string } | null {
  const loc = (globalThis as { location?: Location }).location;
  return loc && /^https?:$/.test(loc.protocol) ? loc : null;
}

/** The origin of the page making requests, for messages ("refuses requests from https://…"). */
export function pageOrigin(): string | null {
  return pageLocation()?.origin ?? null;
}

/**
 * Extra fetch options: a secure page may reach a LAN address over plain http only when the request says so
 * (`targetAddressSpace: 'local'`, Local Network Access); loopback names are trustworthy already.
 */
export function fetchOptionsFor(url: string): Record<string, unknown> {
  const page = pageLocation();
  const target = new URL(url);
  return page?.protocol === 'https:' &&
    target.protocol === 'http:' &&
    addressSpace(target.hostname) === 'local'
    ? { targetAddressSpace: 'local' }
    : {};
}

// ── CSP violations ─────────────────────────────────────────────────────────────────────────────────────────

const violations: { origin: string; at: number }[] = [];
let watching = false;

/** Starts recording `connect-src` violations (idempotent); called before every provider request. */
export function watchCspViolations(): void {
  const target = globalThis as unknown as Partial<EventTarget>;
  if (watching || typeof target.addEventListener !== 'function') return;
  watching = true;
  target.addEventListener('securitypolicyviolation', (event) => {
    const e = event as SecurityPolicyViolationEvent;
    if (!(e.effectiveDirective || e.violatedDirective || '').startsWith('connect-src')) return;
    try {
      violations.push({ origin: new URL(e.blockedURI).origin, at: Date.now() });
    } catch {
      return;
    }
    if (violations.length > 32) violations.shift();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a `connect-src` violation for `origin` was seen since `since` (the event may trail the rejection). */
async function cspBlocked(origin: string, since: number): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    if (violations.some((v) => v.origin === origin && v.at >= since - 5)) return true;
    await sleep(10);
  }
  return false;
}

// ── the probe ──────────────────────────────────────────────────────────────────────────────────────────────

/** true: the origin answered a plain GET; false: nothing answered; null: the probe cannot tell here. */
export async function probeAnswers(origin: string, timeoutMs = 4000): Promise<boolean | null> {
  if (typeof SharedWorker === 'undefined') return null;
  let worker: SharedWorker;
  try {
    worker = new SharedWorker(new URL('./reach-probe.shared-worker.ts', import.meta.url), {
      type: 'module',
      name: 'petit-reach-probe',
    });
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    const done = (value: boolean | null) => {
      clearTimeout(timer);
      worker.port.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    worker.onerror = () => done(null);
    worker.port.onmessage = (event: MessageEvent<{ answered?: boolean | null }>) =>
      done(typeof event.data?.answered === 'boolean' ? event.data.answered : null);
    worker.port.postMessage({ url: `${origin}/` });
  });
}

async function lnaHint(target: URL): Promise<LnaHint> {
  const page = pageLocation();
  const to = addressSpace(target.hostname);
  if (!page || to === 'public') return null;
  const from = addressSpace(page.hostname);
  // Checked only when a request crosses into a more private space: public → local/loopback, local → loopback.
  if (from === 'loopback' || (from === 'local' && to === 'local')) return null;
  const names =
    to === 'loopback'
      ? ['loopback-network', 'local-network-access']
      : ['local-network', 'local-network-access'];
  for (const name of names) {
    try {
      const status = await navigator.permissions.query({ name } as unknown as PermissionDescriptor);
      if (status.state === 'denied') return 'denied';
      return 'possible';
    } catch {
      // This browser does not know the permission name: try the next one.
    }
  }
  return 'possible';
}

/** Sorts out a failed fetch of `url` that started at `startedAt` (Date.now()). */
export async function diagnoseUnreachable(url: string, startedAt: number): Promise<Reach> {
  const target = new URL(url);
  if (await cspBlocked(target.origin, startedAt)) return { kind: 'csp' };
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (nav && nav.onLine === false && addressSpace(target.hostname) !== 'loopback') return { kind: 'offline' };
  const [answered, lna] = await Promise.all([probeAnswers(target.origin), lnaHint(target)]);
  if (answered === true) return { kind: 'refused-origin', lna };
  if (answered === false) return { kind: 'no-answer', lna };
  return { kind: 'unknown', lna };
}

// ── this page's own policy ─────────────────────────────────────────────────────────────────────────────────

function sourceMatches(source: string, target: URL, self: string | null): boolean {
  if (source === "'self'") return self !== null && target.origin === self;
  if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return target.protocol === source.toLowerCase();
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?(\*\.)?([^:/]+|\*)(?::(\d+|\*))?(\/.*)?$/i.exec(source);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  if (scheme && `${target.protocol}//` !== scheme.toLowerCase()) return false;
  const name = target.hostname.toLowerCase();
  const hostOk =
    host === '*' || (wildcard ? name.endsWith(`.${host.toLowerCase()}`) : name === host.toLowerCase());
  if (!hostOk) return false;
  const defaultPort = target.protocol === 'https:' ? '443' : '80';
  return port === '*' || (port ?? defaultPort) === (target.port || defaultPort);
}

/**
 * Whether this page's Content Security Policy (its `<meta>` tag) lets it connect to `url`; null when the page
 * has no policy to read. A CSP cannot widen at runtime: Settings uses this to say so before anything is sent.
 */
export function cspAllows(url: string): boolean | null {
  const doc = (globalThis as { document?: Document }).document;
  const meta = doc?.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content');
  if (!meta) return null;
  const directives = new Map(
    meta.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name.toLowerCase(), values] as const;
    }),
  );
  const sources = directives.get('connect-src') ?? directives.get('default-src');
  if (!sources) return true;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return sources.some((s) => sourceMatches(s, target, pageOrigin()));
}

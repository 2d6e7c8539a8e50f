/**
 * The mapping of every remote failure (HTTP status, timeout, dropped stream, unreadable answer, no answer at
 * all) to a PetitError whose message says what to do next. Messages from providers are scrubbed of the API key.
 */
import { PetitError, type PetitErrorCode } from '../../engine/errors.ts';
import type { ResolvedEndpoint } from './endpoint.ts';
import { pageOrigin, type LnaHint, type Reach } from './reachability.ts';

/** Seconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date); undefined when absent. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Replaces the key wherever it appears (providers sometimes echo part of it). */
export function scrubKey(text: string, key: string | undefined): string {
  if (!key || key.length < 4) return text;
  return text.split(key).join('[key hidden]');
}

/** The human message inside a provider's error body (OpenAI, Azure, Anthropic and Gemini shapes). */
export function providerMessage(bodyText: string): string | undefined {
  try {
    let json: unknown = JSON.parse(bodyText);
    if (Array.isArray(json)) json = json[0];
    const error = (json as { error?: unknown })?.error;
    if (typeof error === 'string') return error;
    const message = (error as { message?: unknown })?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return bodyText.trim() ? bodyText.trim().slice(0, 200) : undefined;
  }
}

const plural = (n: number) => `${n} s`;

export interface FailureContext {
  endpoint: ResolvedEndpoint;
  apiKey: string | undefined;
  /** Text already received when a stream failed. */
  partialText?: string;
  /** Set once a 429 without a readable retry-after was retried after this bounded backoff. */
  backedOffSeconds?: number;
}

function fail(
  code: PetitErrorCode,
  message: string,
  ctx: FailureContext,
  details: Record<string, unknown> = {},
  cause?: unknown,
) {
  return new PetitError(code, message, {
    cause,
    details: {
      provider: ctx.endpoint.providerId,
      host: ctx.endpoint.host,
      ...(ctx.partialText !== undefined ? { partialText: ctx.partialText } : {}),
      ...details,
    },
  });
}

const LOCAL_FALLBACK = 'or use the local answer instead.';

/**
 * Whether an error answer says the model (or Azure deployment) is unknown: OpenAI-compatible `model_not_found`
 * or "The model `x` does not exist", Anthropic's 404 `model: x`, Azure's `DeploymentNotFound`.
 */
export function unknownModelKind(status: number, bodyText: string): 'model' | 'deployment' | null {
  if (status !== 404 && status !== 400) return null;
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(bodyText) as { error?: typeof error }).error;
  } catch {
    return null;
  }
  const code = String(error?.code ?? '');
  const message = typeof error?.message === 'string' ? error.message : '';
  if (/DeploymentNotFound/i.test(code)) return 'deployment';
  if (/model_not_found/i.test(code)) return 'model';
  if (status === 404 && /^model:/i.test(message)) return 'model';
  if (
    /\bmodel\b/i.test(message) &&
    /(does not exist|not found|not supported|unknown|no such|invalid model)/i.test(message)
  )
    return 'model';
  return null;
}

/** The PetitError for an HTTP error status. */
export function errorFromStatus(
  status: number,
  headers: Headers,
  bodyText: string,
  ctx: FailureContext,
): PetitError {
  const { label } = ctx.endpoint;
  const raw = providerMessage(bodyText);
  const said = raw ? scrubKey(raw, ctx.apiKey) : undefined;
  const details = { status, ...(said ? { providerMessage: said } : {}) };
  if (status === 401 || status === 403) {
    const what = status === 401 ? 'rejected the API key' : 'refused access with this API key';
    return fail(
      'remote-auth',
      `${label} ${what} (HTTP ${status}${said ? `: ${said}` : ''}). Check the API key for ${label} in Settings.`,
      ctx,
      details,
    );
  }
  if (status === 429) {
    const wait = parseRetryAfter(headers);
    const message =
      wait !== undefined
        ? `${label} asks to wait ${plural(Math.ceil(wait))} before the next request. Try again then, ${LOCAL_FALLBACK}`
        : ctx.backedOffSeconds !== undefined
          ? `${label} is limiting how many requests you can send and did not say for how long (Petit waited ${plural(ctx.backedOffSeconds)} and tried once more). Wait a little and try again, ${LOCAL_FALLBACK}`
          : `${label} is limiting how many requests you can send. Wait a little and try again, ${LOCAL_FALLBACK}`;
    return fail('remote-rate-limited', message, ctx, {
      ...details,
      ...(wait !== undefined ? { retryAfterSeconds: wait } : {}),
    });
  }
  const unknown = unknownModelKind(status, bodyText);
  if (unknown === 'deployment') {
    return fail(
      'unknown-model',
      `${label} has no deployment by that name at this resource (HTTP ${status}${said ? `: ${said}` : ''}). Check Settings → Remote model → Deployment name and Resource name, ${LOCAL_FALLBACK}`,
      ctx,
      { ...details, reason: 'unknown-deployment' },
    );
  }
  if (unknown === 'model') {
    const model = ctx.endpoint.model;
    const list = ctx.endpoint.preset.modelsPath
      ? ` ("Get the provider's models" lists what ${label} offers)`
      : '';
    return fail(
      'unknown-model',
      `${label} does not know the model "${model}" (HTTP ${status}${said ? `: ${said}` : ''}): it may have been retired or misspelt. Choose another in Settings → Remote model → Model${list}, ${LOCAL_FALLBACK}`,
      ctx,
      { ...details, reason: 'unknown-model', model },
    );
  }
  if (status >= 500) {
    return fail(
      'remote-server-error',
      `${label} had a server problem (HTTP ${status}${said ? `: ${said}` : ''}). Try again in a moment, ${LOCAL_FALLBACK}`,
      ctx,
      details,
    );
  }
  return fail(
    'invalid-request',
    `${label} refused the request (HTTP ${status}${said ? `: ${said}` : ''}). Check the model and address for ${label} in Settings → Remote model.`,
    ctx,
    details,
  );
}

export function timeoutError(ctx: FailureContext): PetitError {
  const s = Math.round(ctx.endpoint.timeoutMs / 1000);
  const kept = ctx.partialText ? ' The part received so far is kept and marked incomplete.' : '';
  return fail(
    'remote-timeout',
    `${ctx.endpoint.label} did not answer within ${plural(s)}.${kept} Try again, ${LOCAL_FALLBACK}`,
    ctx,
    {
      timeoutMs: ctx.endpoint.timeoutMs,
    },
  );
}

export function droppedError(ctx: FailureContext, cause?: unknown): PetitError {
  const n = ctx.partialText?.length ?? 0;
  return fail(
    'remote-stream-dropped',
    `The answer from ${ctx.endpoint.label} was cut off after ${n} characters. The partial answer is kept and marked incomplete; try again, ${LOCAL_FALLBACK}`,
    ctx,
    {},
    cause,
  );
}

export function badResponseError(ctx: FailureContext, what: string, cause?: unknown): PetitError {
  return fail(
    'remote-bad-response',
    `${ctx.endpoint.label} sent an answer Petit could not read (${what}). Check the address for ${ctx.endpoint.label} in Settings, ${LOCAL_FALLBACK}`,
    ctx,
    {},
    cause,
  );
}

/** The exact fix for a local server that refuses this page's origin (CORS), by preset. */
function corsFix(ctx: FailureContext, origin: string): string {
  const { providerId, label } = ctx.endpoint;
  if (providerId === 'ollama')
    return `Ollama accepts only its own and loopback origins unless OLLAMA_ORIGINS says otherwise: quit Ollama and start it with OLLAMA_ORIGINS=${origin} (for example \`OLLAMA_ORIGINS=${origin} ollama serve\`; for the desktop app, set OLLAMA_ORIGINS as a user environment variable, or with \`launchctl setenv OLLAMA_ORIGINS "${origin}"\` on macOS, and restart it).`;
  if (providerId === 'lmstudio')
    return `LM Studio's server answers other origins only with CORS on: turn on "Enable CORS" in LM Studio's Developer tab (server settings), or start it with \`lms server start --cors\`.`;
  return `${label} (or the proxy in front of it) must allow the origin ${origin} (CORS), or use an address that does.`;
}

function lnaText(lna: LnaHint): string {
  if (lna === 'denied')
    return ' Chrome blocks this page from reaching your computer or local network: allow "Local network access" for this site (site settings, left of the address bar).';
  if (lna === 'possible')
    return ' If it is running, allow this page to reach your computer or local network when Chrome asks ("Local network access" in the site settings).';
  return '';
}

/** The PetitError for a request that never got an HTTP answer, sorted out by reachability.ts. */
export function unreachableError(ctx: FailureContext, cause?: unknown, reach?: Reach): PetitError {
  const { label, host, preset } = ctx.endpoint;
  const origin = pageOrigin() ?? 'this page';
  const lna = reach && 'lna' in reach ? reach.lna : null;
  const reason = reach?.kind ?? 'unknown';
  const local = preset.local;
  let message: string;
  switch (reason) {
    case 'csp':
      message = `This copy of Petit may not connect to ${new URL(ctx.endpoint.url).origin}: its Content Security Policy (connect-src) leaves that address out, so the browser blocked the request before it left. Whoever deploys Petit must add the address to VITE_PETIT_CSP_CONNECT and rebuild, or pick a provider this build allows.`;
      break;
    case 'offline':
      message = `You are offline, so ${label} at ${host} cannot be reached.`;
      break;
    case 'refused-origin':
      message = `${label} at ${host} is running but refuses requests from this page (${origin}). ${corsFix(ctx, origin)}`;
      break;
    case 'no-answer':
      // A public page's request to this computer or the LAN that Chrome refused looks like silence: say so first.
      message =
        lna === 'denied'
          ? `Chrome blocks this page from reaching ${host} on your computer or local network: allow "Local network access" for this site (site settings, left of the address bar), then try again. If it is allowed, is ${label} running?`
          : local
            ? `Nothing answers at ${host}. Is ${label} running?${ctx.endpoint.providerId === 'ollama' ? ' Start it (`ollama serve`).' : ''}${lnaText(lna)}`
            : `Nothing answers at ${host}. Check your connection and the address in Settings → Remote model.${lnaText(lna)}`;
      break;
    default:
      // The probe could not tell a refused origin from a server that is not running: say both.
      message = !local
        ? `Could not reach ${host}. Check your connection.${lnaText(lna)}`
        : pageOrigin()
          ? `Could not reach ${label} at ${host}. Is ${label} running? If it is, it may refuse requests from this page (${origin}): ${corsFix(ctx, origin)}${lnaText(lna)}`
          : `Could not reach ${label} at ${host}. Is ${label} running?`;
  }
  return fail(
    'remote-unreachable',
    `${message} You can use the local answer instead.`,
    ctx,
    { reason },
    cause,
  );
}

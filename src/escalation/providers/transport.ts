/**
 * HTTP for remote providers: endpoint resolution from a preset plus the user's settings, a timeout that covers
 * waiting for headers and every pause in a stream, one automatic retry on a short 429 `retry-after`, and the
 * mapping of every failure to a PetitError whose message says what to do next.
 *
 * The API key never appears in an error, a detail or a log: messages from providers are scrubbed of it.
 */
import { PetitError, abortError, type PetitErrorCode } from '../../engine/errors.ts';
import {
  PROVIDER_PRESETS,
  URL_PARAM_LABELS,
  isProviderId,
  type ProviderId,
  type ProviderPreset,
} from './presets.ts';
import {
  diagnoseUnreachable,
  fetchOptionsFor,
  pageOrigin,
  watchCspViolations,
  type LnaHint,
  type Reach,
} from './reachability.ts';

export interface ProviderSettings {
  presetId: ProviderId;
  model?: string;
  /** Overrides the preset's base URL (a proxy, a custom OpenAI-compatible server, the fake provider in tests). */
  baseUrl?: string;
  /** Values for the preset's `{placeholders}` (Azure `resource` and `deployment`, Bedrock `region`). */
  urlParams?: Readonly<Record<string, string>>;
  /** Azure `api-version`; defaults to the preset's. */
  apiVersion?: string;
  apiKey?: string;
  /** Time allowed for the response headers and for every pause between streamed chunks. Default 60 s. */
  timeoutMs?: number;
  /** A 429 whose retry-after is at most this many seconds is retried once automatically. Default 5. */
  maxAutoRetryWaitSeconds?: number;
  /**
   * A 429 without a readable retry-after (absent, or not exposed to the page by CORS) is retried once after
   * this many seconds, capped by maxAutoRetryWaitSeconds. Default 2.
   */
  backoffSeconds?: number;
  /** A name for messages when the preset's label is not right (a custom endpoint). */
  label?: string;
  /**
   * The endpoint adds the key itself (a deployer's proxy in front of the provider, as the widget uses): no key
   * is asked for or sent, whatever the preset's auth.
   */
  keyless?: boolean;
}

export interface ResolvedEndpoint {
  providerId: ProviderId;
  preset: ProviderPreset;
  label: string;
  /** Full URL of the chat endpoint, query included. */
  url: string;
  /** The base URL the paths are appended to (placeholders filled, no query): `…/v1`. */
  base: string;
  /** `host[:port]` of `url`: the only place the key may be sent. */
  host: string;
  model: string;
  timeoutMs: number;
  maxAutoRetryWaitSeconds: number;
  /** Wait before the one retry of a 429 whose retry-after is missing or unreadable (default 2 s). */
  backoffSeconds: number;
  /** No key is sent (see `ProviderSettings.keyless`). */
  keyless: boolean;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

export function resolveEndpoint(settings: ProviderSettings, path: string): ResolvedEndpoint {
  if (!isProviderId(settings.presetId)) {
    throw new PetitError(
      'invalid-request',
      `Unknown provider "${String(settings.presetId)}". Pick one of the presets in Settings.`,
    );
  }
  const preset: ProviderPreset = PROVIDER_PRESETS[settings.presetId];
  const label = settings.label ?? preset.label;
  let base = (settings.baseUrl ?? preset.baseUrl).replace(/\/+$/, '');
  for (const name of preset.urlParams) {
    if (!base.includes(`{${name}}`)) continue;
    const value = settings.urlParams?.[name]?.trim();
    if (!value || !/^[A-Za-z0-9._-]+$/.test(value)) {
      const field = URL_PARAM_LABELS[name] ?? name;
      throw new PetitError(
        'invalid-request',
        `Enter the ${field} for ${label} in Settings → Remote model → ${field} (letters, digits, '.', '_' or '-').`,
        {
          details: { provider: settings.presetId, field: name },
        },
      );
    }
    base = base.replaceAll(`{${name}}`, value);
  }
  let url: URL;
  try {
    url = new URL(`${base}${path}`);
  } catch {
    throw new PetitError(
      'invalid-request',
      `The address for ${label} is not a valid URL. Check it in Settings.`,
      {
        details: { provider: settings.presetId },
      },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PetitError('invalid-request', `The address for ${label} must start with https://.`);
  }
  const keyless = settings.keyless === true || preset.auth.kind === 'none';
  if (url.protocol === 'http:' && !LOOPBACK.test(url.host) && !keyless) {
    // A key over plain HTTP to another machine could be read on the way.
    throw new PetitError(
      'invalid-request',
      `The address for ${label} must use https:// so the API key is not sent in clear text.`,
    );
  }
  const apiVersion = settings.apiVersion?.trim() || preset.apiVersion;
  if (apiVersion) url.searchParams.set('api-version', apiVersion);
  const model = settings.model ?? preset.defaultModel;
  if (!model) throw new PetitError('invalid-request', `Choose a model for ${label} in Settings.`);
  return {
    providerId: settings.presetId,
    preset,
    label,
    url: url.toString(),
    base,
    host: url.host,
    model,
    timeoutMs: settings.timeoutMs ?? 60_000,
    maxAutoRetryWaitSeconds: settings.maxAutoRetryWaitSeconds ?? 5,
    backoffSeconds: Math.min(settings.backoffSeconds ?? 2, settings.maxAutoRetryWaitSeconds ?? 5),
    keyless,
  };
}

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

/**
 * A timer that aborts a fetch when the provider goes quiet: armed while waiting for headers and re-armed after
 * every chunk. `aborted()` tells a timeout apart from the caller's own cancellation.
 */
export class Watchdog {
  readonly controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #onAbort = () => this.controller.abort();

  constructor(
    private readonly ms: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.controller.abort();
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.kick();
  }

  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.controller.abort();
    }, this.ms);
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  get cancelled(): boolean {
    return this.signal?.aborted === true;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** Maps an exception thrown while fetching or reading to the right PetitError. */
export function failureFromException(
  err: unknown,
  watchdog: Watchdog,
  ctx: FailureContext,
  reading: boolean,
): PetitError {
  if (err instanceof PetitError) return err;
  if (watchdog.cancelled) {
    const e = abortError('The request to the remote model was cancelled.');
    if (ctx.partialText !== undefined) Object.assign(e.details, { partialText: ctx.partialText });
    return e;
  }
  if (watchdog.timedOut) return timeoutError(ctx);
  return reading ? droppedError(ctx, err) : unreachableError(ctx, err);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PostResult {
  response: Response;
  watchdog: Watchdog;
}

/**
 * POSTs `bodyText` with `headers`, honouring one short 429 retry-after. Returns a 2xx response whose body is
 * still to be read under the returned watchdog (dispose it when done); throws a PetitError otherwise.
 */
export async function post(
  ctx: FailureContext,
  headers: Record<string, string>,
  bodyText: string,
  signal: AbortSignal | undefined,
): Promise<PostResult> {
  return request(ctx, { method: 'POST', headers, body: bodyText }, signal);
}

/** GETs `url` (a model list) under the same rules as post(): timeout, key only in headers, failures mapped. */
export async function get(
  ctx: FailureContext,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<PostResult> {
  return request(ctx, { method: 'GET', headers }, signal, url);
}

async function request(
  ctx: FailureContext,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  signal: AbortSignal | undefined,
  url = ctx.endpoint.url,
): Promise<PostResult> {
  watchCspViolations();
  for (let attempt = 0; ; attempt++) {
    const watchdog = new Watchdog(ctx.endpoint.timeoutMs, signal);
    let response: Response;
    const startedAt = Date.now();
    try {
      response = await fetch(url, {
        ...init,
        signal: watchdog.controller.signal,
        // The key must never follow a redirect to another host, nor carry cookies or a referrer.
        redirect: 'error',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        ...fetchOptionsFor(url),
      });
    } catch (err) {
      watchdog.dispose();
      if (err instanceof PetitError || watchdog.cancelled || watchdog.timedOut)
        throw failureFromException(err, watchdog, ctx, false);
      throw unreachableError(ctx, err, await diagnoseUnreachable(url, startedAt));
    }
    if (response.ok) return { response, watchdog };
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      watchdog.dispose();
      throw failureFromException(err, watchdog, ctx, false);
    }
    watchdog.dispose();
    if (response.status === 429 && attempt === 0) {
      const wait = parseRetryAfter(response.headers);
      // No readable retry-after (absent, or not exposed to the page by CORS): one retry after a bounded backoff.
      const delay =
        wait === undefined
          ? ctx.endpoint.backoffSeconds
          : wait <= ctx.endpoint.maxAutoRetryWaitSeconds
            ? wait
            : undefined;
      if (delay !== undefined && (wait !== undefined || delay > 0)) {
        if (wait === undefined) ctx.backedOffSeconds = delay;
        await sleep(delay * 1000, signal);
        continue;
      }
    }
    throw errorFromStatus(response.status, response.headers, text, ctx);
  }
}

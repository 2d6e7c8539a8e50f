/**
 * HTTP for remote providers: endpoint resolution from a preset plus the user's settings, a timeout that covers
 * waiting for headers and every pause in a stream, one automatic retry on a short 429 `retry-after`, and the
 * mapping of every failure to a PetitError whose message says what to do next.
 *
 * The API key never appears in an error, a detail or a log: messages from providers are scrubbed of it.
 */
import { PetitError, abortError, type PetitErrorCode } from '../../engine/errors.ts';
import { PROVIDER_PRESETS, isProviderId, type ProviderId, type ProviderPreset } from './presets.ts';

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
  /** `host[:port]` of `url`: the only place the key may be sent. */
  host: string;
  model: string;
  timeoutMs: number;
  maxAutoRetryWaitSeconds: number;
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
    const value = settings.urlParams?.[name];
    if (!value || !/^[A-Za-z0-9._-]+$/.test(value)) {
      throw new PetitError(
        'invalid-request',
        `Enter the ${name} for ${label} in Settings (letters, digits, '.', '_' or '-').`,
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
  const apiVersion = settings.apiVersion ?? preset.apiVersion;
  if (apiVersion) url.searchParams.set('api-version', apiVersion);
  const model = settings.model ?? preset.defaultModel;
  if (!model) throw new PetitError('invalid-request', `Choose a model for ${label} in Settings.`);
  return {
    providerId: settings.presetId,
    preset,
    label,
    url: url.toString(),
    host: url.host,
    model,
    timeoutMs: settings.timeoutMs ?? 60_000,
    maxAutoRetryWaitSeconds: settings.maxAutoRetryWaitSeconds ?? 5,
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
        : `${label} is limiting how many requests you can send. Wait a little and try again, ${LOCAL_FALLBACK}`;
    return fail('remote-rate-limited', message, ctx, {
      ...details,
      ...(wait !== undefined ? { retryAfterSeconds: wait } : {}),
    });
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
    `${label} refused the request (HTTP ${status}${said ? `: ${said}` : ''}). Check the model name and address for ${label} in Settings.`,
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

export function unreachableError(ctx: FailureContext, cause?: unknown): PetitError {
  const local = ctx.endpoint.preset.local ? ` Is ${ctx.endpoint.label} running?` : ' Check your connection.';
  return fail(
    'remote-unreachable',
    `Could not reach ${ctx.endpoint.host}.${local} You can use the local answer instead.`,
    ctx,
    {},
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
  for (let attempt = 0; ; attempt++) {
    const watchdog = new Watchdog(ctx.endpoint.timeoutMs, signal);
    let response: Response;
    try {
      response = await fetch(ctx.endpoint.url, {
        method: 'POST',
        headers,
        body: bodyText,
        signal: watchdog.controller.signal,
        // The key must never follow a redirect to another host, nor carry cookies or a referrer.
        redirect: 'error',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
      });
    } catch (err) {
      watchdog.dispose();
      throw failureFromException(err, watchdog, ctx, false);
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
    const error = errorFromStatus(response.status, response.headers, text, ctx);
    const wait = error.details.retryAfterSeconds;
    if (
      response.status === 429 &&
      attempt === 0 &&
      typeof wait === 'number' &&
      wait <= ctx.endpoint.maxAutoRetryWaitSeconds
    ) {
      await sleep(wait * 1000, signal);
      continue;
    }
    throw error;
  }
}

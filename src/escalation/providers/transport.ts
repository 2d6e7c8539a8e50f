/**
 * HTTP for remote providers: a timeout that covers waiting for headers and every pause in a stream, one
 * automatic retry on a short 429 `retry-after`, and every failure turned into a PetitError (failures.ts) whose
 * message says what to do next. Endpoint resolution is in endpoint.ts.
 *
 * The API key never appears in an error, a detail or a log: messages from providers are scrubbed of it.
 */
import { PetitError, abortError } from '../../engine/errors.ts';
import {
  droppedError,
  errorFromStatus,
  parseRetryAfter,
  timeoutError,
  unreachableError,
  type FailureContext,
} from './failures.ts';
import { diagnoseUnreachable, fetchOptionsFor, watchCspViolations } from './reachability.ts';

// Endpoint resolution and the failure messages live in their own modules; callers import them from here.
export { resolveEndpoint, type ProviderSettings, type ResolvedEndpoint } from './endpoint.ts';
export {
  badResponseError,
  droppedError,
  errorFromStatus,
  parseRetryAfter,
  providerMessage,
  scrubKey,
  timeoutError,
  unknownModelKind,
  unreachableError,
  type FailureContext,
} from './failures.ts';

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

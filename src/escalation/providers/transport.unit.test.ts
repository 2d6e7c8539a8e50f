/**
 * transport.ts on its own, over real HTTP on 127.0.0.1 (node:http): what post()/get() send, the one automatic
 * retry of a 429, the watchdog on headers and on a stream's pauses, redirects never followed with the key, and
 * each HTTP failure's code and message. remote-client.test.ts covers the same paths through the provider clients.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPetitError, type PetitError } from '../../engine/errors.ts';
import {
  Watchdog,
  failureFromException,
  get,
  parseRetryAfter,
  post,
  resolveEndpoint,
  type FailureContext,
  type ProviderSettings,
} from './transport.ts';

const KEY = 'sk-transport-test-5f1e9a2c7b';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A server whose next answers a test scripts; it records every request it gets. */
async function startServer(): Promise<{
  url: string;
  seen: Seen[];
  answer(handler: Handler): void;
  close(): Promise<void>;
}> {
  const seen: Seen[] = [];
  let handler: Handler = (_req, res) => res.end('{}');
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      handler(req, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (h) => (handler = h),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

function context(extra: Partial<ProviderSettings> = {}): FailureContext {
  const settings: ProviderSettings = {
    presetId: 'openai',
    baseUrl: `${server.url}/v1`,
    apiKey: KEY,
    model: 'gpt-4o-mini',
    timeoutMs: 2000,
    ...extra,
  };
  return { endpoint: resolveEndpoint(settings, '/chat/completions'), apiKey: KEY };
}

const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

async function rejection(p: Promise<unknown>): Promise<PetitError> {
  try {
    await p;
  } catch (error) {
    if (isPetitError(error)) return error;
    throw new Error(`not a PetitError: ${String(error)}`, { cause: error });
  }
  throw new Error('resolved, expected a PetitError');
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('post() and get()', () => {
  it('POST sends the body and headers given to the resolved URL, with no cookie or referrer, and hands back the 2xx response', async () => {
    server.answer((_req, res) => json(res, 200, { ok: true }));
    const { response, watchdog } = await post(context(), AUTH, '{"a":1}', undefined);
    expect(await response.json()).toEqual({ ok: true });
    watchdog.dispose();
    expect(server.seen).toHaveLength(1);
    const [req] = server.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.body).toBe('{"a":1}');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers.cookie).toBeUndefined();
    expect(req.headers.referer).toBeUndefined();
  });

  it('GET goes to the URL given (a model list), not the chat endpoint', async () => {
    server.answer((_req, res) => json(res, 200, { data: [{ id: 'm1' }] }));
    const { response, watchdog } = await get(context(), `${server.url}/v1/models`, AUTH, undefined);
    expect(await response.json()).toEqual({ data: [{ id: 'm1' }] });
    watchdog.dispose();
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/models']);
  });

  it('never follows a redirect: the key does not reach the other host', async () => {
    const other = await startServer();
    try {
      server.answer((_req, res) => {
        res.writeHead(307, { location: `${other.url}/steal` });
        res.end();
      });
      const error = await rejection(post(context(), AUTH, '{}', undefined));
      expect(error.code).toBe('remote-unreachable');
      expect(error.message).not.toContain(KEY);
      expect(other.seen).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a port where nothing listens → remote-unreachable naming the host', async () => {
    const gone = await startServer();
    await gone.close();
    const ctx = context({ baseUrl: `${gone.url}/v1` });
    const error = await rejection(post(ctx, AUTH, '{}', undefined));
    expect(error.code).toBe('remote-unreachable');
    expect(error.message).toContain(new URL(gone.url).host);
    expect(error.details).toMatchObject({ provider: 'openai', host: new URL(gone.url).host });
  });
});

describe('a 429 is retried once, and only when the wait is short', () => {
  it('without retry-after: waits the backoff, tries once more, and succeeds', async () => {
    server.answer((_req, res, n) =>
      n === 1 ? json(res, 429, { error: 'slow down' }) : json(res, 200, { ok: 1 }),
    );
    const { response, watchdog } = await post(context({ backoffSeconds: 0.3 }), AUTH, '{}', undefined);
    watchdog.dispose();
    expect(response.status).toBe(200);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(250);
  });

  it('without retry-after twice: remote-rate-limited saying how long Petit waited, after exactly two requests', async () => {
    server.answer((_req, res) => json(res, 429, { error: { message: 'Too many requests' } }));
    const error = await rejection(post(context({ backoffSeconds: 0.2 }), AUTH, '{}', undefined));
    expect(error.code).toBe('remote-rate-limited');
    expect(error.message).toContain('Petit waited 0.2 s and tried once more');
    expect(error.details.status).toBe(429);
    expect(server.seen).toHaveLength(2);
  });

  it('retry-after-ms within the limit: waits that long, then succeeds', async () => {
    server.answer((_req, res, n) =>
      n === 1 ? json(res, 429, {}, { 'retry-after-ms': '300' }) : json(res, 200, { ok: 1 }),
    );
    const { watchdog } = await post(context(), AUTH, '{}', undefined);
    watchdog.dispose();
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(250);
  });

  it('retry-after past maxAutoRetryWaitSeconds: no retry, the wait is in the message and the details', async () => {
    server.answer((_req, res) => json(res, 429, {}, { 'retry-after': '60' }));
    const error = await rejection(post(context({ maxAutoRetryWaitSeconds: 5 }), AUTH, '{}', undefined));
    expect(error.code).toBe('remote-rate-limited');
    expect(error.message).toMatch(/^OpenAI asks to wait 60 s before the next request\./);
    expect(error.details.retryAfterSeconds).toBe(60);
    expect(server.seen).toHaveLength(1);
  });

  it('cancelled during the wait: aborted, and the retry is never sent', async () => {
    server.answer((_req, res) => json(res, 429, {}, { 'retry-after': '2' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(post(context(), AUTH, '{}', controller.signal));
    expect(error.code).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(server.seen).toHaveLength(1);
  });

  it('reads retry-after as seconds, as an HTTP date, and retry-after-ms first', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), now)).toBe(7);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 03 Dec 2026 12:00:30 GMT' }), now)).toBe(30);
    expect(parseRetryAfter(new Headers({ 'retry-after': '9', 'retry-after-ms': '1500' }), now)).toBe(1.5);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });
});

describe('the watchdog', () => {
  it('headers that never come → remote-timeout after timeoutMs', async () => {
    server.answer(() => {
      // Never answers.
    });
    const started = Date.now();
    const error = await rejection(post(context({ timeoutMs: 400 }), AUTH, '{}', undefined));
    expect(error.code).toBe('remote-timeout');
    expect(error.details.timeoutMs).toBe(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('a stream whose pauses are each shorter than timeoutMs is read to the end, however long it takes', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`data: ${n}\n\n`);
        if (++n === 6) {
          clearInterval(tick);
          res.end();
        }
      }, 150);
    });
    const ctx = context({ timeoutMs: 500 });
    const { response, watchdog } = await post(ctx, AUTH, '{}', undefined);
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      watchdog.kick();
      text += new TextDecoder().decode(value);
    }
    watchdog.dispose();
    expect(text.match(/data:/g)).toHaveLength(6);
  });

  it('a stream that goes quiet longer than timeoutMs → remote-timeout keeping the partial text', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      // Then silence, connection left open.
    });
    const ctx = context({ timeoutMs: 400 });
    const { response, watchdog } = await post(ctx, AUTH, '{}', undefined);
    const reader = response.body!.getReader();
    let error: PetitError | undefined;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        watchdog.kick();
        ctx.partialText = (ctx.partialText ?? '') + new TextDecoder().decode(value);
      }
    } catch (err) {
      error = failureFromException(err, watchdog, ctx, true);
    } finally {
      watchdog.dispose();
    }
    expect(error?.code).toBe('remote-timeout');
    expect(error?.message).toContain('The part received so far is kept and marked incomplete.');
    expect(error?.details.partialText).toBe('data: first\n\n');
  });

  it('tells the caller cancelling from a timeout', () => {
    const controller = new AbortController();
    const watchdog = new Watchdog(10_000, controller.signal);
    controller.abort();
    expect(watchdog.controller.signal.aborted).toBe(true);
    expect(watchdog.cancelled).toBe(true);
    expect(watchdog.timedOut).toBe(false);
    watchdog.dispose();
  });
});

describe('HTTP failures become PetitErrors that say what to do', () => {
  const failWith = async (status: number, body: unknown, extra: Partial<ProviderSettings> = {}) => {
    server.answer((_req, res) => json(res, status, body));
    return rejection(post(context(extra), AUTH, '{}', undefined));
  };

  it('401 → remote-auth pointing at Settings, the echoed key hidden', async () => {
    const error = await failWith(401, { error: { message: `Incorrect API key provided: ${KEY}` } });
    expect(error.code).toBe('remote-auth');
    expect(error.message).toContain('Check the API key for OpenAI in Settings.');
    expect(error.message).toContain('[key hidden]');
    expect(JSON.stringify(error.details)).not.toContain(KEY);
    expect(error.message).not.toContain(KEY);
  });

  it('an unknown model → unknown-model naming it and where to choose another', async () => {
    const error = await failWith(404, { error: { code: 'model_not_found', message: 'The model `gpt-x` does not exist' } }, { model: 'gpt-x' }); // prettier-ignore
    expect(error.code).toBe('unknown-model');
    expect(error.message).toContain('OpenAI does not know the model "gpt-x"');
    expect(error.details).toMatchObject({ reason: 'unknown-model', model: 'gpt-x', status: 404 });
  });

  it("Azure's DeploymentNotFound → unknown-model about the deployment", async () => {
    server.answer(
      (_req, res) =>
      json(res, 404, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }), // prettier-ignore
    );
    const endpoint = resolveEndpoint(
      { presetId: 'azure-openai', baseUrl: `${server.url}/openai/deployments/{deployment}`, urlParams: { deployment: 'gpt4o' }, apiKey: KEY }, // prettier-ignore
      '/chat/completions',
    );
    const error = await rejection(post({ endpoint, apiKey: KEY }, { 'api-key': KEY }, '{}', undefined));
    expect(error.code).toBe('unknown-model');
    expect(error.details.reason).toBe('unknown-deployment');
    expect(error.message).toContain('Deployment name');
    expect(server.seen[0].url).toBe('/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
  });

  it('5xx → remote-server-error offering the local answer; another 4xx → invalid-request', async () => {
    const server500 = await failWith(503, { error: { message: 'overloaded' } });
    expect(server500.code).toBe('remote-server-error');
    expect(server500.message).toBe(
      'OpenAI had a server problem (HTTP 503: overloaded). Try again in a moment, or use the local answer instead.',
    );
    server.answer((_req, res) => {
      res.writeHead(422, { 'content-type': 'text/plain' });
      res.end('temperature must be at most 2');
    });
    const refused = await rejection(post(context(), AUTH, '{}', undefined));
    expect(refused.code).toBe('invalid-request');
    expect(refused.message).toBe(
      'OpenAI refused the request (HTTP 422: temperature must be at most 2). Check the model and address for OpenAI in Settings → Remote model.',
    );
  });
});

describe('resolveEndpoint', () => {
  it('allows plain http to this machine with a key, and elsewhere only without one', () => {
    expect(resolveEndpoint({ presetId: 'openai', baseUrl: 'http://localhost:8080/v1' }, '/x').host).toBe(
      'localhost:8080',
    );
    expect(() => resolveEndpoint({ presetId: 'openai', baseUrl: 'http://10.0.0.5/v1' }, '/x')).toThrow(
      /must use https:\/\/ so the API key is not sent in clear text/,
    );
    const proxy = resolveEndpoint({ presetId: 'openai', baseUrl: 'http://10.0.0.5/v1', keyless: true }, '/x');
    expect(proxy).toMatchObject({ url: 'http://10.0.0.5/v1/x', keyless: true });
  });

  it('refuses other schemes, bad placeholder values and an empty model, each with a fix', () => {
    const invalid = (settings: ProviderSettings, text: RegExp) => {
      let error: unknown;
      try {
        resolveEndpoint(settings, '/chat/completions');
      } catch (e) {
        error = e;
      }
      expect(isPetitError(error, 'invalid-request'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(text);
    };
    invalid({ presetId: 'openai', baseUrl: 'ftp://example.com' }, /must start with https:\/\//);
    invalid({ presetId: 'openai', baseUrl: 'not a url' }, /is not a valid URL\. Check it in Settings\./);
    invalid({ presetId: 'bedrock', urlParams: { region: 'eu-west-1/../x' } }, /Enter the Region for/);
    invalid({ presetId: 'openai', model: '' }, /Choose a model for OpenAI in Settings\./);
  });

  it("takes the user's api-version over the preset's, and drops trailing slashes of the base", () => {
    const azure = resolveEndpoint(
      { presetId: 'azure-openai', urlParams: { resource: 'r', deployment: 'd' }, apiVersion: '2025-01-01' },
      '/chat/completions',
    );
    expect(new URL(azure.url).searchParams.get('api-version')).toBe('2025-01-01');
    expect(resolveEndpoint({ presetId: 'openai', baseUrl: 'https://proxy.example/v1///' }, '/m').url).toBe(
      'https://proxy.example/v1/m',
    );
  });
});

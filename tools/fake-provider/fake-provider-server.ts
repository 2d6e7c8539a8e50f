/**
 * A fake remote model provider on 127.0.0.1 that speaks the real wire protocols: OpenAI chat/completions (JSON and
 * SSE with `data: [DONE]` and the `stream_options.include_usage` chunk) on any path ending in `/chat/completions`
 * (so every OpenAI-compatible preset's path works, Azure's `api-key` header included), and Anthropic's
 * `/v1/messages` (JSON and SSE with the real event names). It checks auth headers as the real services do and
 * answers with their error body shapes, records every request, and misbehaves on demand (401/403, 429 with
 * retry-after, 5xx, stall, a stream dropped or reset mid-answer, malformed bodies, mid-stream error events).
 *
 * Model lists speak both real shapes on any path ending in `/models`: Anthropic's (`{ data: [{ type: 'model', id,
 * display_name, created_at }], has_more, first_id, last_id }`, paged by `limit` / `after_id`) when the request
 * carries `anthropic-version`, else OpenAI's (`{ object: 'list', data: [{ id, object: 'model', created,
 * owned_by, shutdown_date? }] }`). With `enforceModels` a chat for a model not in the list gets the provider's
 * real "unknown model" 404. `allowOrigins` makes it behave as Ollama does without OLLAMA_ORIGINS (gin-contrib/cors):
 * a request whose Origin is not allowed gets a bare 403 and no CORS headers; one without Origin is served, and
 * `GET /` says "Ollama is running". Given `tls`, it serves HTTPS (e2e maps a provider's real host name to it).
 *
 * Control it from the same process (`setBehaviour`, `requests()`) or from another one (Playwright) over HTTP:
 *   POST /__fake/behaviour  {"kind":"status","status":429,"retryAfter":20,"times":1}
 *   POST /__fake/reply      {"text":"…"}           (or {"text":null} to go back to echoing)
 *   POST /__fake/auth       {"required":false}      (Ollama / LM Studio accept any or no key)
 *   POST /__fake/models     {"ids":["a","b"],"enforce":true,"shutdown":{"a":"2027-01-14"}}
 *   POST /__fake/cors       {"allowOrigins":["http://localhost"],"exposeHeaders":false}  (null: allow all)
 *   GET  /__fake/requests   → RecordedRequest[]     DELETE /__fake/requests
 *   POST /__fake/reset
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type FakeBehaviour =
  | { kind: 'normal' }
  /** Answer every request with this status and the provider's real error body. */
  | { kind: 'status'; status: number; retryAfter?: number | string; times?: number }
  /** Accept the request and never answer (for timeouts). */
  | { kind: 'stall'; times?: number }
  /** Stream `afterChunks` text chunks, then stop sending without closing (idle timeout mid-answer). */
  | { kind: 'stall-mid-stream'; afterChunks: number; times?: number }
  /** Stream `afterChunks` text chunks, then end the response cleanly without `[DONE]` / `message_stop`. */
  | { kind: 'drop'; afterChunks: number; times?: number }
  /** Stream `afterChunks` text chunks, then destroy the connection (TCP reset). */
  | { kind: 'reset'; afterChunks: number; times?: number }
  /** 200 with a body that is not valid JSON (or SSE data that is not JSON). */
  | { kind: 'malformed'; times?: number }
  /** Stream `afterChunks` text chunks, then the provider's in-stream error event (Anthropic `event: error`). */
  | { kind: 'stream-error'; afterChunks: number; times?: number }
  /**
   * OpenAI SSE with chunks that carry no `choices` key (a metadata/keep-alive chunk before the text and one
   * mid-answer) and an SSE comment line, as some OpenAI-compatible servers send.
   */
  | { kind: 'choiceless-chunks'; times?: number };

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** Lower-cased header names, as received. */
  headers: Record<string, string>;
  /** The raw body text. */
  body: string;
  protocol: 'openai' | 'anthropic' | 'preflight' | 'other';
  at: number;
}

export interface FakeProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keys the fake accepts. Default ['test-key']. */
  apiKeys?: string[];
  /** Check keys at all (false for Ollama / LM Studio). Default true. */
  requireAuth?: boolean;
  /** The answer text; default echoes the last user message as `You wrote: …`. */
  reply?: string | ((request: { messages: { role: string; content: unknown }[] }) => string);
  /** Characters per streamed chunk. Default 8 (so placeholders get split across chunks, as real tokens do). */
  chunkChars?: number;
  /** Delay between streamed chunks. Default 2 ms. */
  chunkDelayMs?: number;
  /** The model list `GET …/models` returns. Default ['fake-large', 'fake-small']. */
  models?: string[];
  /** Refuse chats for models not in `models` with the provider's real 404. Default false. */
  enforceModels?: boolean;
  /** Origins allowed (Ollama-style CORS refusal for others); undefined or null allows every origin. */
  allowOrigins?: string[] | null;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  setBehaviour(behaviour: FakeBehaviour): void;
  setReply(reply: FakeProviderOptions['reply'] | null): void;
  setRequireAuth(required: boolean): void;
  /** Copies of every request received except control requests, oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** The model list and whether chats for other models are refused. */
  setModels(ids: string[], enforce?: boolean, shutdown?: Record<string, string>): void;
  /** Ollama-style origin checks (null allows all) and whether retry-after is exposed to pages. */
  setCors(options: { allowOrigins?: string[] | null; exposeHeaders?: boolean }): void;
  /** Normal behaviour, echo replies, auth required, default models and CORS, no recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'http-referer',
  'x-title',
  'x-openrouter-title',
  'x-stainless-os',
].join(', ');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const approxTokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));
const rid = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

function maskKey(key: string): string {
  return key.length <= 8
    ? '*'.repeat(key.length)
    : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((b) => (typeof b === 'object' && b && 'text' in b ? String(b.text) : '')).join('');
  return '';
}

// ── real error bodies ─────────────────────────────────────────────────────────────────────────────────────

function openAiError(status: number, key?: string, missing?: boolean) {
  if (status === 401)
    return missing
      ? {
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          type: 'invalid_request_error',
          param: null,
          code: null,
        }
      : {
          message: `Incorrect API key provided: ${maskKey(key ?? '')}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        };
  if (status === 403)
    return {
      message: 'Country, region, or territory not supported',
      type: 'request_forbidden',
      param: null,
      code: 'unsupported_country_region_territory',
    };
  if (status === 429)
    return {
      message:
        'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    };
  if (status === 503)
    return {
      message: 'The engine is currently overloaded, please try again later',
      type: 'server_error',
      param: null,
      code: null,
    };
  if (status >= 500)
    return {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    };
  return {
    message: `Request failed with status ${status}`,
    type: 'invalid_request_error',
    param: null,
    code: null,
  };
}

const AZURE_401 = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};

function anthropicError(status: number, message?: string) {
  const [type, text] =
    status === 400
      ? ['invalid_request_error', message ?? 'Invalid request']
      : status === 401
        ? ['authentication_error', message ?? 'invalid x-api-key']
        : status === 403
          ? ['permission_error', 'Your API key does not have permission to use the specified resource.']
          : status === 404
            ? ['not_found_error', message ?? 'The requested resource could not be found.']
            : status === 429
              ? ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.']
              : status === 529
                ? ['overloaded_error', 'Overloaded']
                : ['api_error', 'Internal server error'];
  return { type: 'error', error: { type, message: text } };
}

// ── server ───────────────────────────────────────────────────────────────────────────────────────────────

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const apiKeys = options.apiKeys ?? ['test-key'];
  const chunkChars = options.chunkChars ?? 8;
  const chunkDelayMs = options.chunkDelayMs ?? 2;
  let requireAuth = options.requireAuth ?? true;
  let reply = options.reply ?? null;
  let behaviour: FakeBehaviour = { kind: 'normal' };
  let remaining = Infinity;
  let log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const defaultModels = options.models ?? ['fake-large', 'fake-small'];
  let models = [...defaultModels];
  let enforceModels = options.enforceModels ?? false;
  let shutdownDates: Record<string, string> = {};
  let allowOrigins = options.allowOrigins ?? null;
  let exposeHeaders = true;

  /** The behaviour for this request, counting down `times`. */
  function take(): FakeBehaviour {
    if (behaviour.kind === 'normal') return behaviour;
    const b = behaviour;
    remaining--;
    if (remaining <= 0) {
      behaviour = { kind: 'normal' };
      remaining = Infinity;
    }
    return b;
  }

  function setBehaviour(b: FakeBehaviour) {
    behaviour = b;
    remaining = b.kind === 'normal' ? Infinity : (b.times ?? Infinity);
  }

  function answerText(messages: { role: string; content: unknown }[]): string {
    if (typeof reply === 'string') return reply;
    if (typeof reply === 'function') return reply({ messages });
    const last = [...messages].reverse().find((m) => m.role === 'user');
    return `You wrote: ${textOf(last?.content)}`;
  }

  function cors(res: ServerResponse) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (exposeHeaders)
      res.setHeader(
        'Access-Control-Expose-Headers',
        'x-request-id, request-id, retry-after, retry-after-ms, x-ratelimit-remaining-requests, x-ratelimit-reset-requests',
      );
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  }

  /** An Origin the Ollama-style check refuses (requests without one are not CORS and pass). */
  function refusedOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return allowOrigins !== null && typeof origin === 'string' && !allowOrigins.includes(origin);
  }

  /** GET …/models in the provider's real shape, after its real auth check. */
  function handleModels(req: IncomingMessage, res: ServerResponse, url: URL) {
    const created = 1_767_225_600;
    if (req.headers['anthropic-version'] !== undefined) {
      if (requireAuth) {
        const key = req.headers['x-api-key'];
        if (typeof key !== 'string' || !apiKeys.includes(key))
          return json(
            res,
            401,
            anthropicError(401, key ? 'invalid x-api-key' : 'x-api-key header is required'),
          );
      }
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      const after = url.searchParams.get('after_id');
      const start = after ? models.indexOf(after) + 1 : 0;
      const page = models.slice(start, start + limit);
      return json(res, 200, {
        data: page.map((id, i) => ({
          type: 'model',
          id,
          display_name: id,
          created_at: new Date((created - i * 86_400) * 1000).toISOString(),
        })),
        has_more: start + limit < models.length,
        first_id: page[0] ?? null,
        last_id: page[page.length - 1] ?? null,
      });
    }
    if (requireAuth) {
      const auth = req.headers.authorization;
      const key = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!key) return json(res, 401, { error: openAiError(401, undefined, true) });
      if (!apiKeys.includes(key)) return json(res, 401, { error: openAiError(401, key) });
    }
    return json(res, 200, {
      object: 'list',
      data: models.map((id) => ({
        id,
        object: 'model',
        created,
        owned_by: 'fake',
        ...(shutdownDates[id] ? { shutdown_date: shutdownDates[id] } : {}),
      })),
    });
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function chunksOf(text: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunkChars) out.push(text.slice(i, i + chunkChars));
    return out.length ? out : [''];
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  /** Streams `events` (already SSE-formatted) with the behaviour applied after `afterChunks` text events. */
  async function streamEvents(
    res: ServerResponse,
    head: string[],
    textEvents: string[],
    tail: string[],
    b: FakeBehaviour,
    errorEvent: string,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    for (const e of head) res.write(e);
    const cut = 'afterChunks' in b ? b.afterChunks : Infinity;
    for (let i = 0; i < textEvents.length; i++) {
      if (i === cut) {
        if (b.kind === 'drop') return void res.end();
        if (b.kind === 'reset') return void res.socket?.destroy();
        if (b.kind === 'stall-mid-stream') return; // keep the connection open, send nothing more
        if (b.kind === 'stream-error') {
          res.write(errorEvent);
          return void res.end();
        }
      }
      if (res.destroyed) return;
      res.write(textEvents[i]);
      if (chunkDelayMs) await sleep(chunkDelayMs);
    }
    if (b.kind === 'malformed') {
      res.write('data: {"id": "chatcmpl-broken", "choices": [\n\n');
      return void res.end();
    }
    for (const e of tail) res.write(e);
    res.end();
  }

  async function handleOpenAi(req: IncomingMessage, res: ServerResponse, body: string, path: string) {
    const azure = path.includes('/openai/deployments/');
    if (requireAuth) {
      if (azure) {
        const key = req.headers['api-key'];
        if (typeof key !== 'string' || !apiKeys.includes(key)) return json(res, 401, AZURE_401);
      } else {
        const auth = req.headers.authorization;
        const key = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
        if (!key) return json(res, 401, { error: openAiError(401, undefined, true) });
        if (!apiKeys.includes(key)) return json(res, 401, { error: openAiError(401, key) });
      }
    }
    const b = take();
    const requestId = rid('req_');
    if (b.kind === 'status') {
      const headers: Record<string, string> = { 'x-request-id': requestId };
      if (b.retryAfter !== undefined) headers['retry-after'] = String(b.retryAfter);
      return json(res, b.status, { error: openAiError(b.status) }, headers);
    }
    if (b.kind === 'stall') return;
    let parsed: {
      model?: string;
      messages?: { role: string; content: unknown }[];
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
      max_tokens?: number;
      max_completion_tokens?: number;
    };
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(res, 400, {
        error: {
          message:
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    }
    if (!Array.isArray(parsed.messages) || (!parsed.model && !azure)) {
      return json(res, 400, {
        error: {
          message: !parsed.model
            ? 'you must provide a model parameter'
            : "Missing required parameter: 'messages'.",
          type: 'invalid_request_error',
          param: !parsed.model ? null : 'messages',
          code: null,
        },
      });
    }
    if (enforceModels && !azure && parsed.model && !models.includes(parsed.model)) {
      return json(res, 404, {
        error: {
          message: `The model \`${parsed.model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          param: null,
          code: 'model_not_found',
        },
      });
    }
    const model = parsed.model ?? 'azure-deployment';
    let text = answerText(parsed.messages);
    const limit = parsed.max_completion_tokens ?? parsed.max_tokens;
    let finish = 'stop';
    if (limit !== undefined && approxTokens(text) > limit) {
      text = text.slice(0, limit * 4);
      finish = 'length';
    }
    const promptTokens = parsed.messages.reduce((s, m) => s + 4 + approxTokens(textOf(m.content)), 3);
    const usage = { prompt_tokens: promptTokens, completion_tokens: approxTokens(text), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = rid('chatcmpl-');
    const created = Math.floor(Date.now() / 1000);
    res.setHeader('x-request-id', requestId);
    if (!parsed.stream) {
      if (b.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"id": "chatcmpl-broken", "choices": [ {"index": 0, "message": ');
      }
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            logprobs: null,
            finish_reason: finish,
          },
        ],
        usage,
        system_fingerprint: 'fp_fake',
      });
    }
    const withUsage = parsed.stream_options?.include_usage === true;
    const chunk = (delta: object, finishReason: string | null) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(withUsage ? { usage: null } : {}),
      })}\n\n`;
    const tail = [chunk({}, finish)];
    if (withUsage)
      tail.push(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage })}\n\n`,
      );
    tail.push('data: [DONE]\n\n');
    const textEvents = chunksOf(text).map((t) => chunk({ content: t }, null));
    const head = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
    if (b.kind === 'choiceless-chunks') {
      const bare = `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, provider: 'fake' })}\n\n`;
      head.unshift(': PROCESSING\n\n', bare);
      textEvents.splice(Math.floor(textEvents.length / 2), 0, bare);
    }
    await streamEvents(
      res,
      head,
      textEvents,
      tail,
      b,
      `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } })}\n\n`,
    );
  }

  async function handleAnthropic(req: IncomingMessage, res: ServerResponse, body: string) {
    const requestId = rid('req_');
    res.setHeader('request-id', requestId);
    if (req.headers.origin && req.headers['anthropic-dangerous-direct-browser-access'] !== 'true')
      return json(
        res,
        401,
        anthropicError(401, "CORS requests must set 'anthropic-dangerous-direct-browser-access' header"),
      );
    if (requireAuth) {
      const key = req.headers['x-api-key'];
      if (typeof key !== 'string' || key === '')
        return json(res, 401, anthropicError(401, 'x-api-key header is required'));
      if (!apiKeys.includes(key)) return json(res, 401, anthropicError(401, 'invalid x-api-key'));
    }
    if (!req.headers['anthropic-version'])
      return json(res, 400, anthropicError(400, 'anthropic-version: header is required'));
    const b = take();
    if (b.kind === 'status') {
      const headers: Record<string, string> = {};
      if (b.retryAfter !== undefined) headers['retry-after'] = String(b.retryAfter);
      return json(res, b.status, anthropicError(b.status), headers);
    }
    if (b.kind === 'stall') return;
    let parsed: {
      model?: string;
      max_tokens?: number;
      messages?: { role: string; content: unknown }[];
      system?: unknown;
      stream?: boolean;
    };
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(res, 400, anthropicError(400, 'There was an issue with the JSON body of your request.'));
    }
    if (!parsed.model) return json(res, 400, anthropicError(400, 'model: Field required'));
    if (typeof parsed.max_tokens !== 'number')
      return json(res, 400, anthropicError(400, 'max_tokens: Field required'));
    if (enforceModels && !models.includes(parsed.model))
      return json(res, 404, anthropicError(404, `model: ${parsed.model}`));
    if (!Array.isArray(parsed.messages) || parsed.messages.length === 0)
      return json(res, 400, anthropicError(400, 'messages: Field required'));
    const bad = parsed.messages.find((m) => m.role !== 'user' && m.role !== 'assistant');
    if (bad)
      return json(
        res,
        400,
        anthropicError(
          400,
          `messages: Unexpected role "${bad.role}". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`,
        ),
      );
    if (parsed.messages[0].role !== 'user')
      return json(res, 400, anthropicError(400, 'messages: first message must use the "user" role'));
    for (let i = 1; i < parsed.messages.length; i++)
      if (parsed.messages[i].role === parsed.messages[i - 1].role)
        return json(
          res,
          400,
          anthropicError(400, 'messages: roles must alternate between "user" and "assistant"'),
        );

    let text = answerText(parsed.messages);
    let stop = 'end_turn';
    if (approxTokens(text) > parsed.max_tokens) {
      text = text.slice(0, parsed.max_tokens * 4);
      stop = 'max_tokens';
    }
    const inputTokens =
      approxTokens(textOf(parsed.system)) +
      parsed.messages.reduce((s, m) => s + approxTokens(textOf(m.content)), 0);
    const id = rid('msg_');
    const model = parsed.model;
    if (!parsed.stream) {
      if (b.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"id":"msg_broken","type":"message","content":[{"type":"text"');
      }
      return json(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: stop,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: approxTokens(text) },
      });
    }
    const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    await streamEvents(
      res,
      [
        ev('message_start', {
          type: 'message_start',
          message: {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 1 },
          },
        }),
        ev('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        ev('ping', { type: 'ping' }),
      ],
      chunksOf(text).map((t) =>
        ev('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: t },
        }),
      ),
      [
        ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
        ev('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stop, stop_sequence: null },
          usage: { output_tokens: approxTokens(text) },
        }),
        ev('message_stop', { type: 'message_stop' }),
      ],
      b,
      ev('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    );
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, body: string) {
    const parse = () => {
      try {
        return JSON.parse(body || '{}') as Record<string, unknown>;
      } catch {
        return null;
      }
    };
    if (path === '/__fake/requests' && req.method === 'GET') return json(res, 200, log);
    if (path === '/__fake/requests' && req.method === 'DELETE') {
      log = [];
      return json(res, 200, { ok: true });
    }
    if (path === '/__fake/reset' && req.method === 'POST') {
      api.reset();
      return json(res, 200, { ok: true });
    }
    const data = parse();
    if (!data) return json(res, 400, { error: 'The body must be JSON.' });
    if (path === '/__fake/behaviour' && req.method === 'POST') {
      const kinds = [
        'normal',
        'status',
        'stall',
        'stall-mid-stream',
        'drop',
        'reset',
        'malformed',
        'stream-error',
        'choiceless-chunks',
      ];
      if (!kinds.includes(String(data.kind)))
        return json(res, 400, { error: `kind must be one of ${kinds.join(', ')}` });
      setBehaviour(data as unknown as FakeBehaviour);
      return json(res, 200, { ok: true, behaviour });
    }
    if (path === '/__fake/reply' && req.method === 'POST') {
      reply = typeof data.text === 'string' ? data.text : null;
      return json(res, 200, { ok: true });
    }
    if (path === '/__fake/auth' && req.method === 'POST') {
      requireAuth = data.required !== false;
      return json(res, 200, { ok: true, requireAuth });
    }
    if (path === '/__fake/models' && req.method === 'POST') {
      if (!Array.isArray(data.ids) || !data.ids.every((id) => typeof id === 'string'))
        return json(res, 400, { error: 'ids must be an array of strings' });
      api.setModels(
        data.ids as string[],
        data.enforce === true,
        (data.shutdown ?? {}) as Record<string, string>,
      );
      return json(res, 200, { ok: true });
    }
    if (path === '/__fake/cors' && req.method === 'POST') {
      const origins = data.allowOrigins;
      if (origins !== undefined && origins !== null && !Array.isArray(origins))
        return json(res, 400, { error: 'allowOrigins must be an array of origins or null' });
      api.setCors({
        ...(origins !== undefined ? { allowOrigins: origins as string[] | null } : {}),
        ...(typeof data.exposeHeaders === 'boolean' ? { exposeHeaders: data.exposeHeaders } : {}),
      });
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { error: `Unknown control endpoint ${req.method} ${path}` });
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      const body = await readBody(req);
      if (path.startsWith('/__fake/')) {
        cors(res);
        return handleControl(req, res, path, body);
      }
      if (refusedOrigin(req)) {
        // gin-contrib/cors as Ollama uses it: a bare 403, no CORS headers, for the preflight and the request.
        log.push({
          method: req.method ?? 'GET',
          path,
          query: url.search,
          headers: Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
          ),
          body,
          protocol: req.method === 'OPTIONS' ? 'preflight' : 'other',
          at: Date.now(),
        });
        res.writeHead(403, { 'content-length': 0 });
        return void res.end();
      }
      cors(res);
      const protocol: RecordedRequest['protocol'] =
        req.method === 'OPTIONS'
          ? 'preflight'
          : path.endsWith('/chat/completions')
            ? 'openai'
            : path.endsWith('/v1/messages')
              ? 'anthropic'
              : 'other';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      log.push({
        method: req.method ?? 'GET',
        path,
        query: url.search,
        headers,
        body,
        protocol,
        at: Date.now(),
      });
      if (protocol === 'preflight') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': '86400',
        });
        return void res.end();
      }
      if (req.method === 'GET' && path.endsWith('/models')) return handleModels(req, res, url);
      if (req.method === 'GET' && path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('Ollama is running');
      }
      if (req.method !== 'POST' || protocol === 'other') {
        return protocol === 'other' && path.endsWith('/messages')
          ? json(res, 404, anthropicError(404))
          : json(res, 404, {
              error: {
                message: `Invalid URL (${req.method} ${path})`,
                type: 'invalid_request_error',
                param: null,
                code: null,
              },
            });
      }
      if (protocol === 'openai') return handleOpenAi(req, res, body, path);
      return handleAnthropic(req, res, body);
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
      else res.destroy();
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = `${address.address}:${address.port}`;

  const api: FakeProvider = {
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    host,
    port: address.port,
    setBehaviour,
    setReply: (r) => {
      reply = r ?? null;
    },
    setRequireAuth: (required) => {
      requireAuth = required;
    },
    requests: () => log.map((r) => ({ ...r, headers: { ...r.headers } })),
    clearRequests: () => {
      log = [];
    },
    setModels: (ids, enforce = false, shutdown = {}) => {
      models = [...ids];
      enforceModels = enforce;
      shutdownDates = { ...shutdown };
    },
    setCors: (cfg) => {
      if (cfg.allowOrigins !== undefined) allowOrigins = cfg.allowOrigins;
      if (cfg.exposeHeaders !== undefined) exposeHeaders = cfg.exposeHeaders;
    },
    reset: () => {
      setBehaviour({ kind: 'normal' });
      reply = options.reply ?? null;
      requireAuth = options.requireAuth ?? true;
      models = [...defaultModels];
      enforceModels = options.enforceModels ?? false;
      shutdownDates = {};
      allowOrigins = options.allowOrigins ?? null;
      exposeHeaders = true;
      log = [];
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider, type RecordedRequest } from './fake-provider-server.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKeys: ['good-key-123456'] });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const chat = (headers: Record<string, string>, body: object, path = '/v1/chat/completions') =>
  fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const bearer = { authorization: 'Bearer good-key-123456' };
const ant = { 'x-api-key': 'good-key-123456', 'anthropic-version': '2023-06-01' };
const hello = { model: 'm', messages: [{ role: 'user', content: 'hello' }] };

describe('fake provider: protocol and auth', () => {
  it('listens on 127.0.0.1 on a free port', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.port).toBeGreaterThan(0);
  });

  it('answers OpenAI JSON and SSE with the usage chunk and [DONE]', async () => {
    const json = await (await chat(bearer, hello)).json();
    expect(json).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'You wrote: hello' } }],
    });
    const sse = await (
      await chat(bearer, { ...hello, stream: true, stream_options: { include_usage: true } })
    ).text();
    const datas = sse
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(datas[datas.length - 1]).toBe('[DONE]');
    const usage = JSON.parse(datas[datas.length - 2]);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBeGreaterThan(0);
  });

  it('answers Anthropic SSE with the real event names in order', async () => {
    const sse = await (await chat(ant, { ...hello, max_tokens: 50, stream: true }, '/v1/messages')).text();
    const names = [...sse.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(names.filter((n) => n === 'content_block_delta').length).toBeGreaterThan(1);
  });

  it('rejects bad keys with the providers’ real 401 bodies', async () => {
    const missing = await chat({}, hello);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.message).toMatch(/^You didn't provide an API key/);
    const wrong = await (await chat({ authorization: 'Bearer sk-wrong-0000000000' }, hello)).json();
    expect(wrong.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(wrong.error.message).toContain('Incorrect API key provided: sk-************0000.');
    expect(wrong.error.message).not.toContain('wrong');
    const antWrong = await chat({ ...ant, 'x-api-key': 'nope' }, { ...hello, max_tokens: 5 }, '/v1/messages');
    expect(await antWrong.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    const azure = await chat({ 'api-key': 'nope' }, hello, '/openai/deployments/d/chat/completions');
    expect((await azure.json()).error.code).toBe('401');
  });

  it('enforces the Anthropic rules a real client must follow (browser header, system role, max_tokens)', async () => {
    const cors = await chat(
      { ...ant, origin: 'http://localhost:5173' },
      { ...hello, max_tokens: 5 },
      '/v1/messages',
    );
    expect((await cors.json()).error.message).toBe(
      "CORS requests must set 'anthropic-dangerous-direct-browser-access' header",
    );
    const system = await chat(
      ant,
      { model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }, ...hello.messages] },
      '/v1/messages',
    );
    expect(system.status).toBe(400);
    expect((await system.json()).error.message).toMatch(/Unexpected role "system"/);
    const noMax = await chat(ant, hello, '/v1/messages');
    expect((await noMax.json()).error.message).toBe('max_tokens: Field required');
  });
});

describe('fake provider: CORS', () => {
  it('answers preflights and sets CORS and CORP headers as real providers do', async () => {
    const pre = await fetch(`${fake.url}/v1/messages`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key, anthropic-version, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = pre.headers.get('access-control-allow-headers') ?? '';
    for (const h of ['authorization', 'x-api-key', 'anthropic-version', 'content-type', 'api-key'])
      expect(allowed).toContain(h);
    const res = await chat(bearer, hello);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(fake.requests().map((r) => r.protocol)).toEqual(['preflight', 'openai']);
  });
});

describe('fake provider: control over HTTP (for Playwright in another process)', () => {
  const control = (method: string, path: string, body?: object) =>
    fetch(`${fake.url}/__fake/${path}`, { method, body: body ? JSON.stringify(body) : undefined });

  it('sets a misbehaviour for a number of requests, then behaves again', async () => {
    expect(
      (await control('POST', 'behaviour', { kind: 'status', status: 429, retryAfter: 7, times: 1 })).status,
    ).toBe(200);
    const limited = await chat(bearer, hello);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');
    expect((await chat(bearer, hello)).status).toBe(200);
    expect((await control('POST', 'behaviour', { kind: 'explode' })).status).toBe(400);
  });

  it('records every request (method, path, headers, body) and never the control calls', async () => {
    await chat(bearer, hello);
    await control('POST', 'reply', { text: 'Fixed answer.' });
    expect((await (await chat(bearer, hello)).json()).choices[0].message.content).toBe('Fixed answer.');
    const log = (await (await control('GET', 'requests')).json()) as RecordedRequest[];
    expect(log.length).toBe(2);
    expect(log[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', protocol: 'openai' });
    expect(log[0].headers.authorization).toBe('Bearer good-key-123456');
    expect(JSON.parse(log[0].body)).toEqual(hello);
    await control('DELETE', 'requests');
    expect(fake.requests()).toEqual([]);
  });

  it('can accept requests without a key (Ollama / LM Studio)', async () => {
    await control('POST', 'auth', { required: false });
    expect((await chat({}, hello)).status).toBe(200);
    await control('POST', 'reset');
    expect((await chat({}, hello)).status).toBe(401);
  });
});

describe('fake provider: model lists and origins', () => {
  it("lists models in OpenAI's shape, or Anthropic's when asked with anthropic-version", async () => {
    fake.setModels(['a', 'b', 'c'], false, { a: '2027-01-14' });
    const openai = await (await fetch(`${fake.url}/v1/models`, { headers: bearer })).json();
    expect(openai).toEqual({
      object: 'list',
      data: [
        {
          id: 'a',
          object: 'model',
          created: expect.any(Number),
          owned_by: 'fake',
          shutdown_date: '2027-01-14',
        },
        { id: 'b', object: 'model', created: expect.any(Number), owned_by: 'fake' },
        { id: 'c', object: 'model', created: expect.any(Number), owned_by: 'fake' },
      ],
    });
    const page = await (await fetch(`${fake.url}/v1/models?limit=2`, { headers: ant })).json();
    expect(page).toMatchObject({ has_more: true, first_id: 'a', last_id: 'b' });
    expect(page.data[0]).toEqual({
      type: 'model',
      id: 'a',
      display_name: 'a',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const next = await (await fetch(`${fake.url}/v1/models?limit=2&after_id=b`, { headers: ant })).json();
    expect(next).toMatchObject({ data: [{ id: 'c' }], has_more: false, first_id: 'c', last_id: 'c' });
    expect((await fetch(`${fake.url}/v1/models`)).status).toBe(401);
  });

  it('refuses chats for unlisted models with the real 404s when told to', async () => {
    fake.setModels(['m2'], true);
    const openai = await chat(bearer, hello);
    expect(openai.status).toBe(404);
    expect((await openai.json()).error.code).toBe('model_not_found');
    const anthropic = await chat(ant, { ...hello, max_tokens: 5 }, '/v1/messages');
    expect(await anthropic.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'model: m' },
    });
  });

  it('refuses an origin as Ollama does without OLLAMA_ORIGINS: bare 403, no CORS headers; no Origin passes', async () => {
    fake.setCors({ allowOrigins: ['http://localhost'] });
    const refused = await chat({ ...bearer, origin: 'https://petit.example' }, hello);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const root = await fetch(`${fake.url}/`);
    expect(await root.text()).toBe('Ollama is running');
    expect((await chat({ ...bearer, origin: 'http://localhost' }, hello)).status).toBe(200);
  });
});

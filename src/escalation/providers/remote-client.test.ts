import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../../tools/fake-provider/fake-provider-server.ts';
import { isPetitError, type PetitError } from '../../engine/errors.ts';
import type { ChatCompletionChunk, ChatMessage } from '../../engine/protocol.ts';
import { createRemoteClient, type RemoteClient } from './remote-client.ts';
import type { ProviderSettings } from './transport.ts';

const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-test-fedcba9876543210';
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ apiKeys: [OPENAI_KEY, ANTHROPIC_KEY] });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const convo: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Name three rivers in France.' },
];
const REPLY = 'You wrote: Name three rivers in France.';

const settingsFor = (
  protocol: 'openai' | 'anthropic',
  extra: Partial<ProviderSettings> = {},
): ProviderSettings =>
  protocol === 'openai'
    ? {
        presetId: 'openai',
        baseUrl: `${fake.url}/v1`,
        apiKey: OPENAI_KEY,
        model: 'gpt-4o-mini',
        // Generous for answers (a loaded 2-core machine); the failure cases below set their own short limit.
        timeoutMs: 5000,
        ...extra,
      }
    : {
        presetId: 'anthropic',
        baseUrl: `${fake.url}/v1`,
        apiKey: ANTHROPIC_KEY,
        model: 'claude-3-5-haiku-latest',
        timeoutMs: 5000,
        ...extra,
      };

async function collect(client: RemoteClient, messages = convo) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of client.stream(client.prepare(messages, { stream: true }))) chunks.push(c);
  return chunks;
}

async function failure(p: Promise<unknown>): Promise<PetitError> {
  try {
    await p;
  } catch (err) {
    if (isPetitError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

async function streamFailure(client: RemoteClient): Promise<PetitError> {
  return failure(collect(client));
}

describe('OpenAI-compatible client against the fake provider over HTTP', () => {
  it('answers without streaming, labelled remote, with the provider usage', async () => {
    const client = createRemoteClient(settingsFor('openai'));
    const request = client.prepare(convo, { maxTokens: 200 });
    const answer = await client.send(request);
    expect(answer.inference_source).toBe('remote');
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0].message.content).toBe(REPLY);
    expect(answer.choices[0].finish_reason).toBe('stop');
    expect(answer.usage.completion_tokens).toBe(Math.ceil(REPLY.length / 4));
    const [seen] = fake.requests();
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seen.body).toBe(request.bodyText);
    expect(JSON.parse(seen.body)).toMatchObject({
      model: 'gpt-4o-mini',
      max_completion_tokens: 200,
      stream: false,
    });
  });

  it('streams chunks that add up to the answer, with the usage chunk folded into the last one', async () => {
    const client = createRemoteClient(settingsFor('openai'));
    const chunks = await collect(client);
    expect(chunks.every((c) => c.inference_source === 'remote' && c.object === 'chat.completion.chunk')).toBe(
      true,
    );
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(REPLY);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const last = chunks[chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(last.usage?.completion_tokens).toBe(Math.ceil(REPLY.length / 4));
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    expect(JSON.parse(fake.requests()[0].body).stream_options).toEqual({ include_usage: true });
  });

  it('reports a length cut-off as finish_reason length', async () => {
    const client = createRemoteClient(settingsFor('openai'));
    const answer = await client.send(client.prepare(convo, { maxTokens: 3 }));
    expect(answer.choices[0].finish_reason).toBe('length');
  });

  it('leaves stream_options out for Cohere (which rejects it) and estimates the usage itself', async () => {
    const client = createRemoteClient({
      presetId: 'cohere',
      baseUrl: `${fake.url}/compatibility/v1`,
      apiKey: OPENAI_KEY,
    });
    const chunks = await collect(client);
    const body = JSON.parse(fake.requests()[0].body);
    expect(body.stream_options).toBeUndefined();
    expect(body.model).toBe('command-a-03-2025');
    expect(fake.requests()[0].path).toBe('/compatibility/v1/chat/completions');
    expect(chunks[chunks.length - 1].usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('Azure: deployment URL, api-version query and the key in the api-key header only', async () => {
    const client = createRemoteClient({
      presetId: 'azure-openai',
      baseUrl: `${fake.url}/openai/deployments/{deployment}`,
      urlParams: { deployment: 'petit-gpt4o' },
      apiKey: OPENAI_KEY,
    });
    const answer = await client.send(client.prepare(convo));
    expect(answer.choices[0].message.content).toBe(REPLY);
    const [seen] = fake.requests();
    expect(seen.path).toBe('/openai/deployments/petit-gpt4o/chat/completions');
    expect(seen.query).toBe('?api-version=2024-10-21');
    expect(seen.headers['api-key']).toBe(OPENAI_KEY);
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('Ollama: no key, no authorization header', async () => {
    fake.setRequireAuth(false);
    const client = createRemoteClient({
      presetId: 'ollama',
      baseUrl: `${fake.url}/v1`,
      model: 'llama3.1:8b',
    });
    expect(client.hasKey).toBe(false);
    const answer = await client.send(client.prepare(convo));
    expect(answer.choices[0].message.content).toBe(REPLY);
    expect(fake.requests()[0].headers.authorization).toBeUndefined();
  });

  it('keyless (a proxy that adds the key itself): no auth header, and a key given by mistake is never sent', async () => {
    fake.setRequireAuth(false);
    const client = createRemoteClient({ ...settingsFor('openai'), keyless: true });
    expect(client.hasKey).toBe(false);
    const request = client.prepare(convo, { stream: true });
    expect(request.authHeader).toBeNull();
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of client.stream(request)) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(REPLY);
    const [seen] = fake.requests();
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(OPENAI_KEY);
    // Without `keyless` the same settings refuse to send without a key.
    const keyed = createRemoteClient(settingsFor('openai', { apiKey: '' }));
    expect((await failure(keyed.send(keyed.prepare(convo)))).code).toBe('remote-auth');
  });
});

describe('Anthropic Messages client against the fake provider over HTTP', () => {
  it('splits the system prompt out and sends the Anthropic headers, without streaming', async () => {
    const client = createRemoteClient(settingsFor('anthropic'));
    const request = client.prepare(convo);
    const answer = await client.send(request);
    expect(answer.choices[0].message.content).toBe(REPLY);
    expect(answer.inference_source).toBe('remote');
    expect(answer.id).toMatch(/^msg_/);
    const [seen] = fake.requests();
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
    expect(seen.headers.authorization).toBeUndefined();
    const body = JSON.parse(seen.body);
    expect(body.system).toBe('Be brief.');
    expect(body.messages).toEqual([{ role: 'user', content: 'Name three rivers in France.' }]);
    expect(body.max_tokens).toBe(1024);
  });

  it('streams message_start … message_stop into chunks with usage and stop reason', async () => {
    const client = createRemoteClient(settingsFor('anthropic'));
    const chunks = await collect(client);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(REPLY);
    const last = chunks[chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(last.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(last.usage?.completion_tokens).toBe(Math.ceil(REPLY.length / 4));
    expect(last.id).toMatch(/^msg_/);
  });

  it('merges consecutive turns and drops a leading assistant greeting, as the API requires', async () => {
    const client = createRemoteClient(settingsFor('anthropic'));
    const answer = await client.send(
      client.prepare([
        { role: 'assistant', content: 'Hello! How can I help?' },
        { role: 'user', content: 'First part.' },
        { role: 'user', content: 'Second part.' },
      ]),
    );
    expect(answer.choices[0].message.content).toBe('You wrote: First part.\n\nSecond part.');
  });
});

describe('failures map to PetitError codes with messages that say what to do', () => {
  const protocols = ['openai', 'anthropic'] as const;

  for (const protocol of protocols) {
    describe(protocol, () => {
      const client = () => createRemoteClient(settingsFor(protocol, { timeoutMs: 400 }));
      const sendOnce = () => {
        const c = client();
        return c.send(c.prepare(convo));
      };
      const label = protocol === 'openai' ? 'OpenAI' : 'Anthropic';
      const key = protocol === 'openai' ? OPENAI_KEY : ANTHROPIC_KEY;

      it('a wrong key → remote-auth, naming where to fix it, never echoing the key', async () => {
        const c = createRemoteClient(settingsFor(protocol, { apiKey: `${key}-wrong` }));
        const err = await failure(c.send(c.prepare(convo)));
        expect(err.code).toBe('remote-auth');
        expect(err.message).toContain(`Check the API key for ${label} in Settings`);
        expect(err.details.status).toBe(401);
        expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain(key);
      });

      it('403 → remote-auth', async () => {
        fake.setBehaviour({ kind: 'status', status: 403 });
        expect((await failure(sendOnce())).code).toBe('remote-auth');
      });

      it('429 with a long retry-after → remote-rate-limited with the wait, and no automatic retry', async () => {
        fake.setBehaviour({ kind: 'status', status: 429, retryAfter: 20 });
        const c = client();
        const err = await failure(c.send(c.prepare(convo)));
        expect(err.code).toBe('remote-rate-limited');
        expect(err.details.retryAfterSeconds).toBe(20);
        expect(err.message).toContain(`${label} asks to wait 20 s`);
        expect(err.message).toContain('use the local answer instead');
        expect(fake.requests().length).toBe(1);
      });

      it('429 with a short retry-after → waits that long, retries once, and succeeds', async () => {
        fake.setBehaviour({ kind: 'status', status: 429, retryAfter: 1, times: 1 });
        const c = client();
        const t0 = Date.now();
        const answer = await c.send(c.prepare(convo));
        expect(answer.choices[0].message.content).toBe(REPLY);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
        expect(fake.requests().length).toBe(2);
      });

      for (const status of [500, 503, 529]) {
        it(`${status} → remote-server-error offering the local answer`, async () => {
          fake.setBehaviour({ kind: 'status', status });
          const err = await failure(sendOnce());
          expect(err.code).toBe('remote-server-error');
          expect(err.details.status).toBe(status);
          expect(err.message).toMatch(/Try again in a moment, or use the local answer instead\.$/);
        });
      }

      it('a provider that never answers → remote-timeout after the configured time', async () => {
        fake.setBehaviour({ kind: 'stall' });
        const t0 = Date.now();
        const err = await failure(sendOnce());
        expect(err.code).toBe('remote-timeout');
        expect(err.message).toContain(
          `${label} did not answer within 0 s`.replace('0 s', `${Math.round(400 / 1000)} s`),
        );
        expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
      });

      it('a stream ended without its terminator → remote-stream-dropped keeping the partial text', async () => {
        fake.setBehaviour({ kind: 'drop', afterChunks: 2 });
        const err = await streamFailure(client());
        expect(err.code).toBe('remote-stream-dropped');
        expect(err.details.partialText).toBe(REPLY.slice(0, 16));
        expect(err.message).toContain('The partial answer is kept and marked incomplete');
      });

      it('a connection reset mid-stream → remote-stream-dropped keeping the partial text', async () => {
        fake.setBehaviour({ kind: 'reset', afterChunks: 3 });
        const err = await streamFailure(client());
        expect(err.code).toBe('remote-stream-dropped');
        expect(err.details.partialText).toBe(REPLY.slice(0, 24));
      });

      it('a stream that goes quiet midway → remote-timeout keeping the partial text', async () => {
        fake.setBehaviour({ kind: 'stall-mid-stream', afterChunks: 1 });
        const err = await streamFailure(client());
        expect(err.code).toBe('remote-timeout');
        expect(err.details.partialText).toBe(REPLY.slice(0, 8));
      });

      it('an error event inside the stream → remote-server-error keeping the partial text', async () => {
        fake.setBehaviour({ kind: 'stream-error', afterChunks: 2 });
        const err = await streamFailure(client());
        expect(err.code).toBe('remote-server-error');
        expect(err.details.partialText).toBe(REPLY.slice(0, 16));
      });

      it('a malformed body → remote-bad-response (JSON and stream)', async () => {
        fake.setBehaviour({ kind: 'malformed', times: 2 });
        expect((await failure(sendOnce())).code).toBe('remote-bad-response');
        const err = await streamFailure(client());
        expect(err.code).toBe('remote-bad-response');
      });

      it('cancelling with an AbortSignal → aborted', async () => {
        fake.setBehaviour({ kind: 'stall' });
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const c = createRemoteClient(settingsFor(protocol, { timeoutMs: 5000 }));
        const err = await failure(c.send(c.prepare(convo), { signal: controller.signal }));
        expect(err.code).toBe('aborted');
        expect(err.name).toBe('AbortError');
      });
    });
  }

  it('names the provider in the rate-limit message ("Groq asks to wait 20 s")', async () => {
    fake.setBehaviour({ kind: 'status', status: 429, retryAfter: 20 });
    const c = createRemoteClient({ presetId: 'groq', baseUrl: `${fake.url}/openai/v1`, apiKey: OPENAI_KEY });
    const err = await failure(c.send(c.prepare(convo)));
    expect(err.message.startsWith('Groq asks to wait 20 s before the next request.')).toBe(true);
  });

  it('a provider nobody answers for → remote-unreachable', async () => {
    const closed = await startFakeProvider();
    const url = closed.url;
    await closed.close();
    const c = createRemoteClient({ presetId: 'ollama', baseUrl: `${url}/v1` });
    const err = await failure(c.send(c.prepare(convo)));
    expect(err.code).toBe('remote-unreachable');
    expect(err.message).toContain('Is Ollama (this computer) running?');
  });

  it('no key configured → remote-auth before anything is sent', async () => {
    const c = createRemoteClient(settingsFor('openai', { apiKey: '' }));
    const err = await failure(c.send(c.prepare(convo)));
    expect(err.code).toBe('remote-auth');
    expect(err.message).toBe('There is no API key for OpenAI. Add it in Settings.');
    expect(fake.requests()).toEqual([]);
  });
});

describe('the key goes only in the auth header of its own provider', () => {
  it('each key appears once per request, in its own auth header, and never at the other provider', async () => {
    const other = await startFakeProvider({ apiKeys: [ANTHROPIC_KEY] });
    try {
      const openai = createRemoteClient(settingsFor('openai'));
      const anthropic = createRemoteClient({ ...settingsFor('anthropic'), baseUrl: `${other.url}/v1` });
      await openai.send(openai.prepare(convo));
      await collect(openai);
      await anthropic.send(anthropic.prepare(convo));
      for (const r of fake.requests()) {
        const dump = JSON.stringify(r);
        expect(dump.split(OPENAI_KEY).length - 1).toBe(1);
        expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
        expect(dump).not.toContain(ANTHROPIC_KEY);
      }
      for (const r of other.requests()) {
        const dump = JSON.stringify(r);
        expect(dump.split(ANTHROPIC_KEY).length - 1).toBe(1);
        expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
        expect(dump).not.toContain(OPENAI_KEY);
      }
      // A request prepared by one client cannot be sent with another client's key.
      const err = await failure(openai.send(anthropic.prepare(convo)));
      expect(err.code).toBe('invalid-request');
      expect(other.requests().length).toBe(1);
      // The prepared request (what the consent dialog shows) never holds the key.
      expect(JSON.stringify(openai.prepare(convo))).not.toContain(OPENAI_KEY);
    } finally {
      await other.close();
    }
  });
});

/**
 * What the providers' current documentation shows (issue 19), against the fake provider over real HTTP on
 * 127.0.0.1: model lists in each provider's real response shape, models refused as unknown, 429 without a
 * readable retry-after, chunks without `choices`, LM Studio's optional key, OpenRouter's attribution header,
 * and the larger answer budget for remote models.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../../tools/fake-provider/fake-provider-server.ts';
import { isPetitError, type PetitError } from '../../engine/errors.ts';
import type { ChatMessage } from '../../engine/protocol.ts';
import { PRESET_MODELS_DATE, PROVIDER_PRESETS } from './presets.ts';
import { REMOTE_DEFAULT_MAX_TOKENS, createRemoteClient, remoteAnswerBudget } from './remote-client.ts';
import { resolveEndpoint } from './transport.ts';

const KEY = 'sk-test-docs-0123456789abcdef';
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ apiKeys: [KEY] });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const convo: ChatMessage[] = [{ role: 'user', content: 'Name three rivers in France.' }];

async function failure(p: Promise<unknown>): Promise<PetitError> {
  try {
    await p;
  } catch (err) {
    if (isPetitError(err)) return err;
    throw err;
  }
  throw new Error('expected a PetitError');
}

describe('model lists', () => {
  it("an OpenAI-compatible provider's GET /v1/models replaces the preset's list, with shutdown dates", async () => {
    fake.setModels(['gpt-fake-1', 'gpt-fake-2-mini'], false, { 'gpt-fake-1': '2027-01-14' });
    const client = createRemoteClient({ presetId: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEY });
    const list = await client.listModels();
    expect(list).toMatchObject({
      ids: ['gpt-fake-1', 'gpt-fake-2-mini'],
      source: 'provider',
      shutdown: { 'gpt-fake-1': '2027-01-14' },
    });
    expect(list.ids).not.toEqual(PROVIDER_PRESETS.openai.models);
    const [request] = fake.requests();
    expect(request).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("Anthropic's GET /v1/models is read page by page with its own headers", async () => {
    const ids = Array.from({ length: 1203 }, (_, i) => `claude-fake-${i}`);
    fake.setModels(ids);
    const client = createRemoteClient({ presetId: 'anthropic', baseUrl: `${fake.url}/v1`, apiKey: KEY });
    const list = await client.listModels();
    expect(list.ids).toEqual(ids);
    const sent = fake.requests();
    expect(sent.map((r) => r.query)).toEqual(['?limit=1000', '?limit=1000&after_id=claude-fake-999']);
    expect(sent[0].headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
    expect(sent[0].headers.authorization).toBeUndefined();
  });

  it('a provider without a list endpoint (Bedrock Runtime, an Azure deployment) gets the dated fallback, nothing sent', async () => {
    for (const presetId of ['bedrock', 'azure-openai'] as const) {
      const client = createRemoteClient({
        presetId,
        urlParams: { region: 'eu-west-3', resource: 'contoso', deployment: 'chat' },
        apiKey: KEY,
      });
      expect(await client.listModels()).toEqual({
        ids: [...PROVIDER_PRESETS[presetId].models],
        source: 'preset',
        checkedOn: PRESET_MODELS_DATE,
      });
    }
    expect(fake.requests()).toEqual([]);
  });

  it('a wrong key for the list is remote-auth, as for a chat', async () => {
    const client = createRemoteClient({
      presetId: 'groq',
      baseUrl: `${fake.url}/v1`,
      apiKey: 'sk-wrong-1234',
    });
    expect((await failure(client.listModels())).code).toBe('remote-auth');
  });
});

describe('a model the provider does not know', () => {
  for (const presetId of ['openai', 'anthropic'] as const) {
    it(`${presetId}: says the model is unknown and where to change it`, async () => {
      fake.setModels(['current-model'], true);
      const client = createRemoteClient({
        presetId,
        baseUrl: `${fake.url}/v1`,
        apiKey: KEY,
        model: 'retired-model-2024',
      });
      const err = await failure(client.send(client.prepare(convo)));
      expect(err.code).toBe('unknown-model');
      expect(err.details).toMatchObject({ status: 404, model: 'retired-model-2024' });
      expect(err.message).toContain(
        `${PROVIDER_PRESETS[presetId].label} does not know the model "retired-model-2024"`,
      );
      expect(err.message).toContain('Settings → Remote model → Model');
    });
  }
});

describe('429 without a readable retry-after', () => {
  it('is retried once after a bounded backoff, and the answer arrives', async () => {
    fake.setBehaviour({ kind: 'status', status: 429, times: 1 });
    const client = createRemoteClient({
      presetId: 'groq',
      baseUrl: `${fake.url}/v1`,
      apiKey: KEY,
      backoffSeconds: 0.2,
    });
    const t0 = Date.now();
    const answer = await client.send(client.prepare(convo));
    expect(answer.choices[0].message.content).toBe('You wrote: Name three rivers in France.');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(fake.requests()).toHaveLength(2);
  });

  it('a second 429 ends with a message saying how long Petit waited; no third request', async () => {
    fake.setBehaviour({ kind: 'status', status: 429, times: 5 });
    const client = createRemoteClient({
      presetId: 'groq',
      baseUrl: `${fake.url}/v1`,
      apiKey: KEY,
      backoffSeconds: 0.1,
    });
    const err = await failure(client.send(client.prepare(convo)));
    expect(err.code).toBe('remote-rate-limited');
    expect(err.message).toContain('did not say for how long (Petit waited 0.1 s and tried once more)');
    expect(fake.requests()).toHaveLength(2);
  });

  it('the backoff never exceeds the longest automatic wait', async () => {
    fake.setBehaviour({ kind: 'status', status: 429, times: 5 });
    const client = createRemoteClient({
      presetId: 'groq',
      baseUrl: `${fake.url}/v1`,
      apiKey: KEY,
      backoffSeconds: 30,
      maxAutoRetryWaitSeconds: 0,
    });
    await failure(client.send(client.prepare(convo)));
    expect(fake.requests()).toHaveLength(1);
  });
});

describe('details of the wire', () => {
  it('a streamed chunk without choices does not abort the answer', async () => {
    fake.setBehaviour({ kind: 'choiceless-chunks' });
    const client = createRemoteClient({ presetId: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEY });
    let text = '';
    for await (const chunk of client.stream(client.prepare(convo, { stream: true })))
      text += chunk.choices[0].delta.content ?? '';
    expect(text).toBe('You wrote: Name three rivers in France.');
  });

  it('LM Studio sends no key unless one is stored, and the Bearer key when it is', async () => {
    fake.setRequireAuth(false);
    const without = createRemoteClient({ presetId: 'lmstudio', baseUrl: `${fake.url}/v1` });
    await without.send(without.prepare(convo));
    const withKey = createRemoteClient({ presetId: 'lmstudio', baseUrl: `${fake.url}/v1`, apiKey: KEY });
    await withKey.send(withKey.prepare(convo));
    const [first, second] = fake.requests();
    expect(first.headers.authorization).toBeUndefined();
    expect(second.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("OpenRouter gets X-OpenRouter-Title (HTTP-Referer needs a page's origin: e2e/providers.spec.ts)", async () => {
    const client = createRemoteClient({ presetId: 'openrouter', baseUrl: `${fake.url}/api/v1`, apiKey: KEY });
    await client.send(client.prepare(convo));
    expect(fake.requests()[0].headers['x-openrouter-title']).toBe('Petit');
  });

  it('remote models get a larger answer budget than the local default, never a smaller one', () => {
    expect(remoteAnswerBudget(256)).toBe(REMOTE_DEFAULT_MAX_TOKENS);
    expect(remoteAnswerBudget(undefined)).toBe(REMOTE_DEFAULT_MAX_TOKENS);
    expect(remoteAnswerBudget(20_000)).toBe(20_000);
  });

  it('an answer cut by the budget ends with finish_reason "length"', async () => {
    fake.setReply('word '.repeat(400));
    const client = createRemoteClient({ presetId: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEY });
    let finish: string | null = null;
    for await (const chunk of client.stream(client.prepare(convo, { stream: true, maxTokens: 50 })))
      finish = chunk.choices[0].finish_reason ?? finish;
    expect(finish).toBe('length');
  });
});

describe('the built Content Security Policy', () => {
  it("allows Azure's and Bedrock's documented hosts, with wildcards only where CSP allows them", async () => {
    const { connectSources } = await import('../../app/csp-policy.ts');
    const sources = connectSources({ hubUrl: 'https://huggingface.co' });
    expect(sources).toEqual(
      expect.arrayContaining([
        'https://*.openai.azure.com',
        'https://*.cognitiveservices.azure.com',
        'https://bedrock-runtime.us-east-1.amazonaws.com',
        'https://bedrock-runtime.eu-west-3.amazonaws.com',
      ]),
    );
    // A wildcard is valid only as the leftmost label (or the port); `*.amazonaws.com` would let anything reach S3.
    for (const s of sources.map((x) => x.replace(/:\*$/, '')))
      if (s.includes('*')) expect(s).toMatch(/^https?:\/\/\*\.[^*]+$/);
    expect(sources).not.toContain('https://*.amazonaws.com');
  });
});

describe('address spaces (Local Network Access)', () => {
  it('sorts hosts as Chrome does: loopback, local network, public', async () => {
    const { addressSpace } = await import('./reachability.ts');
    for (const h of ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', 'app.localhost'])
      expect(addressSpace(h)).toBe('loopback');
    for (const h of [
      '10.0.0.5',
      '192.168.1.20',
      '172.16.0.1',
      '172.31.255.1',
      '169.254.1.1',
      'nas.local',
      '[fd12::1]',
    ])
      expect(addressSpace(h)).toBe('local');
    for (const h of ['172.32.0.1', '8.8.8.8', 'api.openai.com', '11.0.0.1'])
      expect(addressSpace(h)).toBe('public');
  });
});

describe('endpoint URLs as Azure OpenAI and Bedrock document them', () => {
  it('asks for the Azure resource and deployment, and for https with a key', () => {
    expect(() => resolveEndpoint({ presetId: 'azure-openai', apiKey: 'k' }, '/chat/completions')).toThrow(
      /Enter the Resource name for Azure OpenAI in Settings → Remote model → Resource name/,
    );
    const azure = resolveEndpoint(
      { presetId: 'azure-openai', urlParams: { resource: 'contoso', deployment: 'gpt4o' } },
      '/chat/completions',
    );
    expect(azure.url).toBe(
      'https://contoso.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
    );
    expect(azure.host).toBe('contoso.openai.azure.com');
    const bedrock = resolveEndpoint(
      { presetId: 'bedrock', urlParams: { region: 'eu-west-1' } },
      '/chat/completions',
    );
    expect(bedrock.url).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com/openai/v1/chat/completions');
    expect(() =>
      resolveEndpoint({ presetId: 'openai', baseUrl: 'http://example.com/v1' }, '/chat/completions'),
    ).toThrow(/must use https:\/\//);
    expect(() => resolveEndpoint({ presetId: 'nope' as 'openai' }, '/x')).toThrow(/Unknown provider/);
  });
});

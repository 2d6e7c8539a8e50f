import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../tools/fake-provider/fake-provider-server.ts';
import { isPetitError, type PetitError } from '../engine/errors.ts';
import type { ChatMessage } from '../engine/protocol.ts';
import { ConsentLedger, buildConsentPreview, sendRemote, streamRemote } from './consent.ts';
import { PRICE_TABLE_DATE } from './pricing.ts';
import { createRemoteClient } from './providers/remote-client.ts';
import { Redactor } from './redaction.ts';

const KEY = 'sk-consent-test-0123456789';
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKeys: [KEY] });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const openai = () =>
  createRemoteClient({
    presetId: 'openai',
    baseUrl: `${fake.url}/v1`,
    apiKey: KEY,
    model: 'gpt-4o-mini',
    timeoutMs: 2000,
  });
const anthropic = () =>
  createRemoteClient({
    presetId: 'anthropic',
    baseUrl: `${fake.url}/v1`,
    apiKey: KEY,
    model: 'claude-3-5-haiku-latest',
  });

const EMAIL = 'ana.lopez@example.org';
const CARD = '4111 1111 1111 1111';
const secretPrompt: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: `Draft a reply to ${EMAIL} saying card ${CARD} was charged twice.` },
];

async function failure(p: Promise<unknown>): Promise<PetitError> {
  try {
    await p;
  } catch (err) {
    if (isPetitError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

async function drain(it: AsyncIterable<{ choices: { delta: { content?: string } }[] }>): Promise<string> {
  let text = '';
  for await (const c of it) text += c.choices[0].delta.content ?? '';
  return text;
}

describe('consent preview: what the user sees is what is sent', () => {
  it('sends exactly the previewed body to the previewed host, with placeholders, and restores them in the streamed reply', async () => {
    const client = openai();
    const redactor = new Redactor();
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({ client, conversationId: 'c1', messages: secretPrompt, redactor });
    // Building the preview sends nothing.
    expect(fake.requests()).toEqual([]);
    expect(preview.destination).toMatchObject({
      providerLabel: 'OpenAI',
      host: fake.host,
      model: 'gpt-4o-mini',
    });
    expect(preview.messages[1].content).toBe(
      'Draft a reply to [EMAIL_1] saying card [CARD_1] was charged twice.',
    );
    expect(preview.bodyText).not.toContain(EMAIL);
    expect(preview.bodyText).not.toContain('4111');
    expect(preview.redactions.map((r) => [r.placeholder, r.value])).toEqual([
      ['[EMAIL_1]', EMAIL],
      ['[CARD_1]', CARD],
    ]);
    expect(Object.isFrozen(preview.request.body)).toBe(true);

    ledger.grant('once', preview);
    const text = await drain(streamRemote({ preview, client, ledger, mode: 'ask', redactor }));

    const [seen] = fake.requests();
    expect(seen.body).toBe(preview.bodyText);
    expect(`http://${seen.headers.host}${seen.path}`).toBe(preview.destination.url);
    expect(JSON.parse(seen.body).messages).toEqual(preview.messages);
    expect(JSON.stringify(fake.requests())).not.toContain(EMAIL);
    expect(JSON.stringify(fake.requests())).not.toContain('1111 1111');
    // The fake echoes what it received (placeholders); the user reads the real values.
    expect(text).toBe(`You wrote: Draft a reply to ${EMAIL} saying card ${CARD} was charged twice.`);
  });

  it('works the same without streaming, for Anthropic (system prompt split out in the body shown)', async () => {
    const client = anthropic();
    const redactor = new Redactor();
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({
      client,
      conversationId: 'c1',
      messages: secretPrompt,
      redactor,
      stream: false,
    });
    expect(JSON.parse(preview.bodyText).system).toBe('You are helpful.');
    ledger.grant('once', preview);
    const answer = await sendRemote({ preview, client, ledger, mode: 'ask', redactor });
    expect(fake.requests()[0].body).toBe(preview.bodyText);
    expect(answer.inference_source).toBe('remote');
    expect(answer.choices[0].message.content).toContain(EMAIL);
  });

  it('estimates tokens and cost from the body as sent, with the price date', () => {
    const preview = buildConsentPreview({
      client: openai(),
      conversationId: 'c1',
      messages: secretPrompt,
      maxTokens: 500,
    });
    const { estimate } = preview;
    expect(estimate.inputTokens).toBeGreaterThan(15);
    expect(estimate.inputTokens).toBeLessThan(60);
    expect(estimate.maxOutputTokens).toBe(500);
    expect(estimate.costUsd?.input).toBeCloseTo((estimate.inputTokens * 0.15) / 1e6, 12);
    expect(estimate.costUsd?.upTo).toBeCloseTo((estimate.inputTokens * 0.15 + 500 * 0.6) / 1e6, 12);
    expect(estimate.priceDate).toBe(PRICE_TABLE_DATE);
    const unknown = buildConsentPreview({
      client: createRemoteClient({ presetId: 'openai', baseUrl: `${fake.url}/v1`, model: 'my-finetune' }),
      conversationId: 'c1',
      messages: secretPrompt,
    });
    expect(unknown.estimate.costUsd).toBeNull();
  });

  it('redaction can be turned off explicitly, and then the preview shows the real values', () => {
    const preview = buildConsentPreview({
      client: openai(),
      conversationId: 'c1',
      messages: secretPrompt,
      redact: false,
    });
    expect(preview.bodyText).toContain(EMAIL);
    expect(preview.redactions).toEqual([]);
  });
});

describe('consent scopes', () => {
  it('Cancel (no grant) sends nothing; a once grant is used up by one send', async () => {
    const client = openai();
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({
      client,
      conversationId: 'c1',
      messages: secretPrompt,
      stream: false,
    });
    const refused = await failure(sendRemote({ preview, client, ledger, mode: 'ask' }));
    expect(refused.code).toBe('consent-required');
    expect(refused.message).toBe(`Nothing was sent: confirm sending to OpenAI (${fake.host}) first.`);
    expect(fake.requests()).toEqual([]);
    ledger.grant('once', preview);
    await sendRemote({ preview, client, ledger, mode: 'ask' });
    expect((await failure(sendRemote({ preview, client, ledger, mode: 'ask' }))).code).toBe(
      'consent-required',
    );
    expect(fake.requests().length).toBe(1);
  });

  it('"Send for this conversation" covers later requests of that conversation only', async () => {
    const client = openai();
    const ledger = new ConsentLedger();
    const first = buildConsentPreview({
      client,
      conversationId: 'c1',
      messages: secretPrompt,
      stream: false,
    });
    ledger.grant('conversation', first);
    await sendRemote({ preview: first, client, ledger, mode: 'ask' });
    const later = buildConsentPreview({
      client,
      conversationId: 'c1',
      messages: secretPrompt,
      stream: false,
    });
    await sendRemote({ preview: later, client, ledger, mode: 'ask' });
    const other = buildConsentPreview({
      client,
      conversationId: 'c2',
      messages: secretPrompt,
      stream: false,
    });
    expect((await failure(sendRemote({ preview: other, client, ledger, mode: 'ask' }))).code).toBe(
      'consent-required',
    );
    expect(ledger.dispatchState('c1', 'openai', fake.host)).toEqual({
      consentState: { autoOptIn: false },
      conversationConsent: true,
    });
    ledger.revokeConversation('c1');
    expect(ledger.hasConversationConsent('c1', 'openai', fake.host)).toBe(false);
    expect(fake.requests().length).toBe(2);
  });

  it('the auto opt-in works in "auto" mode only, per provider and host, and can be revoked', async () => {
    const client = openai();
    const ledger = new ConsentLedger();
    ledger.optInAuto('openai', fake.host);
    const preview = () =>
      buildConsentPreview({ client, conversationId: 'c9', messages: secretPrompt, stream: false });
    await sendRemote({ preview: preview(), client, ledger, mode: 'auto' });
    expect((await failure(sendRemote({ preview: preview(), client, ledger, mode: 'ask' }))).code).toBe(
      'consent-required',
    );
    expect(ledger.hasAutoOptIn('openai', 'api.openai.com')).toBe(false);
    ledger.revokeAuto('openai', fake.host);
    expect((await failure(sendRemote({ preview: preview(), client, ledger, mode: 'auto' }))).code).toBe(
      'consent-required',
    );
    expect(fake.requests().length).toBe(1);
  });

  it('in "On this device only" nothing is sent, whatever was granted', async () => {
    const client = openai();
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({ client, conversationId: 'c1', messages: secretPrompt });
    ledger.grant('once', preview);
    ledger.grant('conversation', preview);
    ledger.grant('auto', preview);
    const err = await failure(drain(streamRemote({ preview, client, ledger, mode: 'local-only' })));
    expect(err.code).toBe('consent-required');
    expect(err.message).toContain('Switch to "Ask me each time"');
    expect(fake.requests()).toEqual([]);
  });

  it('survives a round trip through storage', () => {
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({ client: openai(), conversationId: 'c1', messages: secretPrompt });
    ledger.grant('conversation', preview);
    ledger.optInAuto('anthropic', 'api.anthropic.com');
    const copy = new ConsentLedger(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(copy.hasConversationConsent('c1', 'openai', fake.host)).toBe(true);
    expect(copy.hasAutoOptIn('anthropic', 'api.anthropic.com')).toBe(true);
  });
});

describe('failures keep the restored partial answer', () => {
  it('a dropped stream carries the partial text with the real values back in', async () => {
    fake.setBehaviour({ kind: 'drop', afterChunks: 6 });
    const client = openai();
    const redactor = new Redactor();
    const ledger = new ConsentLedger();
    const preview = buildConsentPreview({ client, conversationId: 'c1', messages: secretPrompt, redactor });
    ledger.grant('once', preview);
    const err = await failure(drain(streamRemote({ preview, client, ledger, mode: 'ask', redactor })));
    expect(err.code).toBe('remote-stream-dropped');
    // 6 chunks of 8 characters of "You wrote: Draft a reply to [EMAIL_1] saying…"
    expect(err.details.partialText).toBe(`You wrote: Draft a reply to ${EMAIL} saying car`);
  });
});

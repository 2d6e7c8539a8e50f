/**
 * The chat session end to end in Node. The local model is a small scripted ChatEngine (a real one needs a
 * browser; the e2e suite covers it); the remote side is the real RemoteClient over real HTTP to the fake
 * provider on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../tools/fake-provider/fake-provider-server.ts';
import { PetitError } from '../engine/errors.ts';
import type { ChatCompletionChunk, ChatCompletionRequestStreaming, ChatMessage } from '../engine/protocol.ts';
import { ConsentLedger, Redactor, createRemoteClient, type EscalationMode } from '../escalation/index.ts';
import type { LocalChatEngine } from './chat-engine.ts';
import { Escalator, type ConsentChoice, type ConsentRequest, type EscalationNote } from './escalation.ts';
import { ChatSession, type AnswerEnd, type AnswerHandle, type Transcript } from './session.ts';

const KEY = 'sk-test-session-0123456789';
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKeys: [KEY] });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local model that answers `reply` token by token; it can stop with a failure after some tokens. */
class ScriptedEngine implements LocalChatEngine {
  readonly requests: ChatCompletionRequestStreaming[] = [];
  constructor(
    private readonly script: {
      reply: string;
      contextLength?: number;
      /** Log-probability of every token (the router's confidence signal). */
      logprob?: number;
      tokenDelayMs?: number;
      failAfter?: { tokens: number; code: 'worker-crashed' | 'backend-error' };
    },
  ) {}
  runtimeInfo() {
    return { model: 'scripted-135m', contextLength: this.script.contextLength ?? 4096 };
  }
  /** About four characters a token, plus a few for each message's template. */
  countTokens(messages: ChatMessage[]) {
    return Promise.resolve(messages.reduce((n, m) => n + 4 + Math.ceil(m.content.length / 4), 0));
  }
  readonly chat = {
    completions: {
      create: (request: ChatCompletionRequestStreaming) => {
        this.requests.push(request);
        return Promise.resolve(this.stream(request));
      },
    },
  };
  private async *stream(request: ChatCompletionRequestStreaming): AsyncGenerator<ChatCompletionChunk> {
    const { reply, logprob = -0.05, tokenDelayMs = 0, failAfter } = this.script;
    const tokens = reply.match(/\S+\s*/g) ?? [];
    const chunk = (content: string | undefined, finish: 'stop' | null = null): ChatCompletionChunk => ({
      id: 'local',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'scripted-135m',
      inference_source: 'on-device',
      choices: [
        {
          index: 0,
          delta: content === undefined ? {} : { content },
          finish_reason: finish,
          logprobs: content && request.logprobs ? { content: [{ token: content, logprob }] } : null,
        },
      ],
    });
    for (const [i, token] of tokens.entries()) {
      if (failAfter && i === failAfter.tokens) throw new PetitError(failAfter.code, 'The model stopped.');
      if (tokenDelayMs) await sleep(tokenDelayMs);
      if (request.signal?.aborted) throw new PetitError('aborted', 'The request was cancelled.');
      yield chunk(token);
    }
    yield chunk(undefined, 'stop');
  }
}

interface Shown {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  source: 'on-device' | 'remote';
  end?: AnswerEnd;
}

/** The conversation as a list in memory, counting how often the screen would redraw. */
class MemoryTranscript implements Transcript {
  readonly shown: Shown[] = [];
  renders = 0;
  messages = () => this.shown;
  conversationId = () => 'c1';
  private answer(source: Shown['source']): AnswerHandle {
    const m: Shown = {
      id: `a${this.shown.length}`,
      role: 'assistant',
      content: '',
      status: 'streaming',
      source,
    };
    this.shown.push(m);
    return {
      render: (chunk) => {
        this.renders++;
        m.content += chunk;
      },
      end: (end) => {
        m.status = end.status;
        m.content = end.text;
        m.end = end;
        return Promise.resolve();
      },
    };
  }
  startTurn(content: string) {
    this.shown.push({
      id: `u${this.shown.length}`,
      role: 'user',
      content,
      status: 'complete',
      source: 'on-device',
    });
    return Promise.resolve({ conversationId: 'c1', answer: this.answer('on-device') });
  }
  startRemote() {
    return Promise.resolve(this.answer('remote'));
  }
}

function setup(
  engine: ScriptedEngine,
  options: { consent?: ConsentChoice; mode?: EscalationMode; history?: Shown[] } = {},
) {
  const transcript = new MemoryTranscript();
  transcript.shown.push(...(options.history ?? []));
  const notes: (EscalationNote | null)[] = [];
  const asked: ConsentRequest[] = [];
  const contextNotices: string[] = [];
  let remoteEnded: (end: AnswerEnd) => void = () => {};
  const remote = new Promise<AnswerEnd>((resolve) => (remoteEnded = resolve));
  const redactor = new Redactor();
  const escalator = new Escalator({
    mode: () => options.mode ?? 'ask',
    client: () =>
      Promise.resolve(
        createRemoteClient({
          presetId: 'openai',
          baseUrl: `${fake.url}/v1`,
          apiKey: KEY,
          model: 'gpt-4o-mini',
        }),
      ),
    unreachable: () => null,
    ledger: new ConsentLedger(),
    redactorFor: () => redactor,
    redact: () => true,
    maxTokens: () => 64,
    localModels: (loaded) => [
      { id: loaded.modelId, parameters: 135e6, contextLength: loaded.contextLength, goodFor: [] },
    ],
    explainLocalOnly: true,
    note: (n) => notes.push(n),
    askConsent: (request) => {
      asked.push(request);
      return Promise.resolve(options.consent ?? 'cancel');
    },
  });
  const busy: boolean[] = [];
  const session = new ChatSession({
    local: engine,
    transcript,
    generation: () => ({ temperature: 0, maxTokens: 64 }),
    escalator,
    events: {
      busy: (s) => busy.push(s.generating || s.remote),
      contextNotice: (notice) => contextNotices.push(notice.text),
      remoteAnswer: ({ end }) => remoteEnded(end),
    },
  });
  return { session, transcript, notes, asked, contextNotices, remote, busy };
}

/** An unsure local answer (mean token probability about 7 %): the router asks for a larger model. */
const UNSURE = -2.6;
const QUESTION = 'What is the capital of Australia?';

describe('ChatSession: the local turn', () => {
  it('streams the answer, renders it in frames rather than per token, and ends complete', async () => {
    const reply =
      'Canberra is the capital of Australia, chosen as a compromise between Sydney and Melbourne.';
    const engine = new ScriptedEngine({ reply });
    const { session, transcript, busy } = setup(engine, { mode: 'local-only' });
    const end = await session.send(QUESTION);
    expect(end.status).toBe('complete');
    const answer = transcript.shown.at(-1)!;
    expect(answer).toMatchObject({ role: 'assistant', status: 'complete', content: reply });
    expect(transcript.renders).toBeGreaterThan(0);
    expect(transcript.renders).toBeLessThan(reply.split(' ').length);
    expect(busy.at(0)).toBe(true);
    expect(busy.at(-1)).toBe(false);
  });

  it('fits a long conversation into the context: old turns are left out and the user is told', async () => {
    const long = 'word '.repeat(120);
    const history: Shown[] = [];
    for (let i = 0; i < 6; i++) {
      history.push({
        id: `h${i}u`,
        role: 'user',
        content: `${i}: ${long}`,
        status: 'complete',
        source: 'on-device',
      });
      history.push({
        id: `h${i}a`,
        role: 'assistant',
        content: long,
        status: 'complete',
        source: 'on-device',
      });
    }
    const engine = new ScriptedEngine({ reply: 'Fine.', contextLength: 512 });
    const { session, contextNotices } = setup(engine, { mode: 'local-only', history });
    expect((await session.send('And now?')).status).toBe('complete');
    const sent = engine.requests[0].messages;
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'And now?' });
    expect(sent.length).toBeLessThan(history.length + 1);
    expect(await engine.countTokens(sent)).toBeLessThanOrEqual(512 - 64);
    expect(contextNotices[0]).toMatch(/earlier messages were left out/);
  });

  it('leaves failed exchanges and empty answers out of the prompt', async () => {
    const engine = new ScriptedEngine({ reply: 'Yes.' });
    const history: Shown[] = [
      { id: '1', role: 'user', content: 'Hi', status: 'complete', source: 'on-device' },
      { id: '2', role: 'assistant', content: 'Hello', status: 'complete', source: 'on-device' },
      { id: '3', role: 'user', content: 'Broken', status: 'error', source: 'on-device' },
      { id: '4', role: 'assistant', content: '', status: 'error', source: 'on-device' },
    ];
    const { session } = setup(engine, { mode: 'local-only', history });
    await session.send('Still there?');
    expect(engine.requests[0].messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Still there?' },
    ]);
  });

  it('keeps the partial answer when the user stops it', async () => {
    const engine = new ScriptedEngine({
      reply: 'one two three four five six seven eight nine ten',
      tokenDelayMs: 15,
    });
    const { session, transcript } = setup(engine, { mode: 'local-only' });
    const turn = session.send(QUESTION);
    // Stop once two words are on screen (a loaded machine may take longer to show them).
    await expect.poll(() => transcript.shown.at(-1)?.content ?? '').toMatch(/^one two/);
    session.stop();
    const end = await turn;
    expect(end.status).toBe('stopped');
    const answer = transcript.shown.at(-1)!;
    expect(answer.status).toBe('stopped');
    expect(answer.content).toMatch(/^one two/);
    expect(answer.content.length).toBeLessThan('one two three four five six seven eight nine ten'.length);
  });

  it('keeps the partial answer after a crash, and marks other failures as errors', async () => {
    const crash = setup(
      new ScriptedEngine({
        reply: 'alpha beta gamma delta',
        failAfter: { tokens: 2, code: 'worker-crashed' },
      }),
      {
        mode: 'local-only',
      },
    );
    const crashed = await crash.session.send(QUESTION);
    expect(crashed).toMatchObject({ status: 'interrupted', text: 'alpha beta ' });
    const fail = setup(
      new ScriptedEngine({ reply: 'alpha beta', failAfter: { tokens: 0, code: 'backend-error' } }),
      {
        mode: 'local-only',
      },
    );
    expect((await fail.session.send(QUESTION)).status).toBe('error');
  });
});

describe('ChatSession: route → consent → remote', () => {
  it("asks, then streams the larger model's answer after the user grants consent", async () => {
    const engine = new ScriptedEngine({ reply: 'Maybe Sydney, I am not sure at all.', logprob: UNSURE });
    const { session, transcript, asked, remote } = setup(engine, { consent: 'once' });
    await session.send(QUESTION);
    const end = await remote;
    expect(asked).toHaveLength(1);
    expect(asked[0].preview.destination.host).toBe(`127.0.0.1:${fake.port}`);
    expect(end).toMatchObject({ status: 'complete', text: `You wrote: ${QUESTION}` });
    expect(end.status === 'complete' && end.usage?.completion_tokens).toBeGreaterThan(0);
    expect(transcript.shown.map((m) => [m.role, m.source, m.status])).toEqual([
      ['user', 'on-device', 'complete'],
      ['assistant', 'on-device', 'complete'],
      ['assistant', 'remote', 'complete'],
    ]);
    // Exactly what the user saw is what was sent.
    const chats = fake.requests().filter((r) => r.protocol === 'openai');
    expect(chats).toHaveLength(1);
    expect(chats[0].body).toBe(asked[0].preview.bodyText);
  });

  it('sends nothing when the user refuses, and says so', async () => {
    const engine = new ScriptedEngine({ reply: 'Maybe Sydney, I am not sure at all.', logprob: UNSURE });
    const { session, transcript, asked, notes } = setup(engine, { consent: 'cancel' });
    await session.send(QUESTION);
    await expect.poll(() => notes.length).toBeGreaterThan(0);
    expect(asked).toHaveLength(1);
    expect(notes.at(-1)?.text).toBe('Nothing was sent. The answer from this device is kept.');
    expect(transcript.shown.filter((m) => m.source === 'remote')).toEqual([]);
    expect(fake.requests().filter((r) => r.protocol === 'openai')).toEqual([]);
  });

  it('keeps a confident answer on this device without asking', async () => {
    const engine = new ScriptedEngine({ reply: 'Canberra.', logprob: -0.05 });
    const { session, asked } = setup(engine, { consent: 'once' });
    await session.send(QUESTION);
    await sleep(20);
    expect(asked).toEqual([]);
    expect(fake.requests()).toEqual([]);
  });

  it('keeps the partial remote answer when the connection drops mid-answer', async () => {
    fake.setBehaviour({ kind: 'reset', afterChunks: 2 });
    const engine = new ScriptedEngine({ reply: 'Maybe Sydney, I am not sure at all.', logprob: UNSURE });
    const { session, transcript, remote } = setup(engine, { consent: 'once' });
    await session.send(QUESTION);
    const end = await remote;
    expect(end.status).toBe('interrupted');
    expect(end.text.length).toBeGreaterThan(0);
    expect(`You wrote: ${QUESTION}`.startsWith(end.text)).toBe(true);
    expect(transcript.shown.at(-1)).toMatchObject({
      source: 'remote',
      status: 'interrupted',
      content: end.text,
    });
  });

  it('"ask the larger model" on an answer sends its history once the user agrees', async () => {
    const engine = new ScriptedEngine({ reply: 'Canberra.' });
    const { session, transcript, asked, remote } = setup(engine, { consent: 'once' });
    await session.send(QUESTION);
    await session.askLarger(transcript.shown[1].id);
    expect(asked[0].userAsked).toBe(true);
    expect((await remote).status).toBe('complete');
  });
});

/**
 * PetitEngine's public API (what src/index.ts exports) in real Chromium: a real inference worker, the tiny forged
 * model downloaded over real HTTP from a local hub (vitest.config.ts starts it), the real model store. Covers
 * what only the e2e suite covered: load and its refusals, answers whole and streamed, cancelling, a crash and
 * the recovery that follows, unload and terminate.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import {
  PetitEngine,
  isPetitError,
  type ChatCompletionChunk,
  type ChatMessage,
  type PetitError,
} from '../index.ts';

const hubCommands = commands as unknown as {
  startTinyHub(): Promise<{ url: string; model: string }>;
  tinyHubRequests(): Promise<number>;
};

async function rejection(p: Promise<unknown>): Promise<PetitError> {
  try {
    await p;
  } catch (error) {
    if (isPetitError(error)) return error;
    throw new Error(`not a PetitError: ${String(error)}`, { cause: error });
  }
  throw new Error('resolved, expected a PetitError');
}

const QUESTION: ChatMessage[] = [{ role: 'user', content: 'Tell me about the sea.' }];

describe('PetitEngine with a real worker and the tiny model from a local hub', () => {
  let hub: { url: string; model: string };
  let petit: PetitEngine;
  const tiny = () => ({ id: hub.model, dtype: 'q8' as const, device: 'wasm' as const });

  beforeAll(async () => {
    hub = await hubCommands.startTinyHub();
    petit = new PetitEngine({ hubUrl: hub.url });
  });
  afterAll(() => petit?.terminate());

  test('before any load: no runtime, and a request fails with not-loaded', async () => {
    expect(petit.runtimeInfo()).toBeNull();
    expect(petit.hubUrl).toBe(hub.url);
    const error = await rejection(petit.chat.completions.create({ messages: QUESTION }));
    expect(error.code).toBe('not-loaded');
    expect(error.message).toMatch(/Load a model before asking it/);
  });

  test('load() refuses what is not a model, or a bad dtype, before any request reaches the hub', async () => {
    const before = await hubCommands.tinyHubRequests();
    expect((await rejection(petit.load('not a repo id'))).code).toBe('unknown-model');
    expect((await rejection(petit.load({ ...tiny(), dtype: 'fp64' as 'q8' }))).code).toBe('invalid-request');
    expect((await rejection(petit.load(tiny(), { signal: AbortSignal.abort() }))).code).toBe('aborted');
    expect(await hubCommands.tinyHubRequests()).toBe(before);
  });

  test('a repository the hub does not have → model-not-found, and nothing is loaded', async () => {
    const error = await rejection(petit.load({ ...tiny(), id: 'petit-test/not-on-this-hub' }));
    expect(error.code).toBe('model-not-found');
    expect(petit.runtimeInfo()).toBeNull();
  });

  test('load() reports progress and resolves with where the model runs', async () => {
    const progress: { loaded: number; total: number }[] = [];
    const runtime = await petit.load(tiny(), { onProgress: (e) => progress.push(e) });
    expect(runtime).toMatchObject({ model: hub.model, dtype: 'q8', device: 'wasm', backend: 'transformers' });
    expect(runtime.contextLength).toBeGreaterThan(0);
    expect(petit.runtimeInfo()).toEqual(runtime);
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last.total).toBeGreaterThan(0);
    expect(last.loaded).toBe(last.total);
  });

  test('a greedy answer is the same twice, respects max_tokens, and counts the prompt as countTokens does', async () => {
    const request = { messages: QUESTION, max_tokens: 6, temperature: 0 };
    const first = await petit.chat.completions.create(request);
    const second = await petit.chat.completions.create(request);
    expect(first.object).toBe('chat.completion');
    expect(first.model).toBe(hub.model);
    expect(first.choices[0].message.role).toBe('assistant');
    expect(first.choices[0].message.content.length).toBeGreaterThan(0);
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    expect(first.usage.completion_tokens).toBeLessThanOrEqual(6);
    expect(['stop', 'length']).toContain(first.choices[0].finish_reason);
    expect(first.usage.prompt_tokens).toBe(await petit.countTokens(QUESTION));
  });

  test('streamed, the chunks add up to the same greedy answer and the last one says why it ended', async () => {
    const request = { messages: QUESTION, max_tokens: 6, temperature: 0 };
    const whole = await petit.chat.completions.create(request);
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await petit.chat.completions.create({ ...request, stream: true }))
      chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      whole.choices[0].message.content,
    );
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe(whole.choices[0].finish_reason);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  test('a signal aborted mid-stream ends it with aborted; the next request answers', async () => {
    const controller = new AbortController();
    const stream = await petit.chat.completions.create({
      messages: QUESTION,
      max_tokens: 200,
      temperature: 0,
      stream: true,
      signal: controller.signal,
    });
    let received = 0;
    const error = await rejection(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content) received++;
          if (received === 2) controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('aborted');
    expect(error.name).toBe('AbortError');
    const next = await petit.chat.completions.create({ messages: QUESTION, max_tokens: 2, temperature: 0 });
    expect(next.choices[0].message.content.length).toBeGreaterThan(0);
  });

  test('after the worker crashes, subscribers see it recover, and the model answers again from the store', async () => {
    const before = await hubCommands.tinyHubRequests();
    const events: string[] = [];
    const recovered = new Promise<void>((resolve) => {
      const stop = petit.subscribe((event) => {
        events.push(event.type);
        if (event.type === 'recovered' || event.type === 'recovery-failed') {
          stop();
          resolve();
        }
      });
    });
    await petit.simulateWorkerFailure('error');
    await recovered;
    expect(events).toEqual(['crashed', 'recovering', 'recovered']);
    expect(petit.runtimeInfo()).toMatchObject({ model: hub.model, device: 'wasm' });
    const reply = await petit.chat.completions.create({ messages: QUESTION, max_tokens: 2, temperature: 0 });
    expect(reply.choices[0].message.content.length).toBeGreaterThan(0);
    // Reloaded from the model store: not one file fetched again.
    expect(await hubCommands.tinyHubRequests()).toBe(before);
  });

  test('unload() forgets the model until the next load; terminate() too, and the next load starts a new worker', async () => {
    await petit.unload();
    expect(petit.runtimeInfo()).toBeNull();
    expect((await rejection(petit.chat.completions.create({ messages: QUESTION }))).code).toBe('not-loaded');

    await petit.load(tiny());
    petit.terminate();
    expect(petit.runtimeInfo()).toBeNull();
    expect((await rejection(petit.chat.completions.create({ messages: QUESTION }))).code).toBe('not-loaded');
    const runtime = await petit.load(tiny());
    expect(runtime.model).toBe(hub.model);
    const reply = await petit.chat.completions.create({ messages: QUESTION, max_tokens: 2, temperature: 0 });
    expect(reply.choices[0].message.content.length).toBeGreaterThan(0);
  });
});

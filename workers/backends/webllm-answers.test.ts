import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelVersion } from '@mlc-ai/web-llm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPetitError } from '../../src/engine/errors.ts';
import type { ChatMessage } from '../../src/engine/protocol.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { writeMlcModel, writeModelLibrary } from '../../tools/hub/mlc-model-writer.ts';
import type { WebLlmTarget } from './webllm.backend.ts';
import type { FakeOptions } from './webllm-fake-engine.ts';
import * as kit from './webllm-fake-kit.ts';

/** WebLlmBackend's answers: streaming, stop strings, and web-llm's KV cache across turns (on the fake engine). */

const { smolBuild, WASM, LOAD, params, answer } = kit;
const loaded = (options?: FakeOptions, over?: Partial<WebLlmTarget>) => kit.loaded(hub.url, options, over);

let root: string;
let hub: Hub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'petit-webllm-answers-'));
  writeMlcModel(root, { repo: smolBuild.repo, shards: 8 });
  writeModelLibrary(root, modelVersion, smolBuild.modelLib, WASM);
  hub = await startHub({ root });
});

afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  hub.faults.clear();
  hub.requests.reset();
});

describe('answers', () => {
  it('streams deltas and reports usage and timings from the last chunk', async () => {
    const { backend, engine } = await loaded();
    const { deltas, outcome } = await answer(backend, params({ maxTokens: 3 }));
    expect(deltas).toEqual(['Hel', 'lo', ' there']);
    expect(outcome.text).toBe('Hello there');
    expect(outcome.finishReason).toBe('length');
    expect(outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
    expect(outcome.completionTokens).toBe(3);
    expect(outcome.timings.timeToFirstTokenMs).toBeCloseTo(100);
    expect(outcome.timings.prefillMs).toBeCloseTo(100);
    expect(outcome.timings.decodeMs).toBeCloseTo(75);
    const request = engine.requests[0];
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
    expect(request.max_tokens).toBe(3);
    expect(request.logprobs).toBeUndefined();
  });

  it('passes logprobs and JSON mode through the OpenAI-style request', async () => {
    const { backend, engine } = await loaded();
    const got: (number | undefined)[] = [];
    const outcome = await backend.generate(
      { ...params({ logprobs: true }), responseFormat: { type: 'json_object' } },
      (_d, lp) => got.push(lp?.[0]?.logprob),
    );
    expect(engine.requests[0].response_format).toEqual({ type: 'json_object' });
    expect(engine.requests[0].top_logprobs).toBe(1);
    // One per sampled token, the end-of-turn token included (web-llm's tokenLogprobArray).
    expect(got).toEqual([-0.5, -0.5, -0.5, -0.5, -0.5]);
    expect(outcome.logprobs?.map((l) => l.token)).toEqual(['Hel', 'lo', ' there', '!', '<|im_end|>']);
    expect(outcome.text).toBe('Hello there!');
  });

  it("hands a json_schema to web-llm in web-llm's own shape (a schema string under json_object), for its XGrammar", async () => {
    const { backend, engine } = await loaded();
    const schema = '{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}';
    await backend.generate(
      { ...params(), responseFormat: { type: 'json_schema', name: 'x', schema } },
      () => {},
    );
    expect(engine.requests[0].response_format).toEqual({ type: 'json_object', schema });
  });

  it('interrupt() ends the answer with finish_reason abort and keeps the model loaded', async () => {
    const { backend } = await loaded();
    const deltas: string[] = [];
    const outcome = await backend.generate(params(), (d) => {
      deltas.push(d);
      if (deltas.length === 2) backend.interrupt();
    });
    expect(outcome.finishReason).toBe('abort');
    expect(outcome.text).toBe('Hello');
    const next = await backend.generate(params(), () => {});
    expect(next.text).toBe('Hello there!');
    expect(next.finishReason).toBe('stop');
  });

  it('unload() frees the engine; generating afterwards is a not-loaded error', async () => {
    const { backend, engine } = await loaded();
    await backend.unload();
    expect(engine.unloaded).toBeGreaterThan(1);
    const error = await backend.generate(params(), () => {}).catch((e: unknown) => e);
    expect(isPetitError(error, 'not-loaded')).toBe(true);
  });
});

describe('stop strings: never shown in part, and the reply kept as web-llm keeps it', () => {
  it('the start of a stop string web-llm streams never reaches the user', async () => {
    const { backend } = await loaded({ replies: [['Hel', 'lo', ' E', 'N', 'D', ' more']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['END'] }));
    expect(shown).toBe('Hello ');
    expect(outcome.text).toBe('Hello ');
    expect(outcome.finishReason).toBe('stop');
  });

  it('a stop string completed by a later token: the held newline is not released', async () => {
    const { backend, engine } = await loaded({ replies: [['Hi.', '\n', '\nMore']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['\n\n'] }));
    expect(shown).toBe('Hi.');
    expect(outcome.text).toBe(await engine.getMessage());
  });

  it('text held as a possible stop string is released when the answer ends otherwise', async () => {
    const { backend } = await loaded({ replies: [['Hello', ' E']] });
    const { shown, outcome } = await answer(backend, params({ stop: ['END'] }));
    expect(shown).toBe('Hello E');
    expect(outcome.text).toBe('Hello E');
  });
});

describe('web-llm’s KV cache across turns', () => {
  const turn = (history: ChatMessage[], content: string, over: Partial<GenerationParams> = {}) =>
    params({ messages: [...history, { role: 'user', content }], ...over });

  it('the reply sent back is byte-identical to web-llm’s, so it reuses its cache (also after a stop string)', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hel', 'lo', ' E', 'N', 'D'],
        ['Sure', '.'],
      ],
    });
    const system: ChatMessage = { role: 'system', content: 'Be brief.' };
    const first = await answer(backend, turn([system], 'Hi', { stop: ['END'] }));
    expect(first.outcome.text).toBe(await engine.getMessage());
    // The app stores what the user saw and sends it back.
    const history: ChatMessage[] = [
      system,
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.shown },
    ];
    await answer(backend, turn(history, 'Again?', { stop: ['END'] }));
    expect(engine.lastPrefill?.reused).toBe(true);
  });

  it('prompt_tokens covers the whole request when web-llm prefilled only the new round', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hello', ' there', '!'],
        ['Fine', '.'],
      ],
    });
    const first = await answer(backend, turn([], 'Hi'));
    expect(first.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'How are you doing today, in a few words?'));
    const { kvBefore, prefilled, reused } = engine.lastPrefill!;
    expect(reused).toBe(true);
    expect(kvBefore).toBeGreaterThan(0);
    expect(second.outcome.promptTokens).toBe(kvBefore + prefilled);
    expect(second.outcome.prefilledTokens).toBe(prefilled);
    // Prefill speed stays web-llm's: the tokens it ran over the time it took.
    expect(second.outcome.timings.prefillMs).toBeCloseTo(100);
  });

  it('load({ kvCache: false }): web-llm forgets its conversation before every request', async () => {
    const { backend, engine } = await kit.loaded(hub.url, {}, {}, { ...LOAD, kvCache: false });
    const first = await answer(backend, turn([], 'Hi'));
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'Again?'));
    expect(engine.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
    expect(second.outcome.text).toBe('Hello there!');
  });

  it('an edited history: web-llm starts over, and prompt_tokens is its full count', async () => {
    const { backend, engine } = await loaded({
      replies: [
        ['Hello', '!'],
        ['Yes', '.'],
      ],
    });
    const first = await answer(backend, turn([], 'Hi'));
    const edited: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: `${first.outcome.text} ` },
    ];
    const second = await answer(backend, turn(edited, 'And?'));
    expect(engine.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
  });

  it('after an interrupted or cut answer web-llm starts over, and so does the count', async () => {
    const { backend, engine } = await loaded({ replies: [['Hello', ' there', '!'], ['Ok']] });
    const first = await answer(backend, turn([], 'Hi', { maxTokens: 2 }));
    expect(first.outcome.finishReason).toBe('length');
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: first.outcome.text },
    ];
    const second = await answer(backend, turn(history, 'More'));
    expect(engine.lastPrefill?.reused).toBe(false);
    expect(second.outcome.promptTokens).toBe(engine.lastPrefill!.prefilled);
  });
});

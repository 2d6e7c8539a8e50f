import { describe, expect, it } from 'vitest';
import { PetitError } from './errors.ts';
import { MAX_MESSAGE_CHARS, toWellFormed, validateLoad, validateRequest } from './validate.ts';

const user = (content: string) => ({ role: 'user', content });

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof PetitError) return `${error.code}:${String(error.details.field)}`;
    return `untyped:${String(error)}`;
  }
  return 'accepted';
}

describe('validateRequest', () => {
  it('accepts a plain request and applies defaults', () => {
    expect(validateRequest({ messages: [user('hi')] })).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: null,
      temperature: 0.7,
      topP: 1,
      stop: [],
      seed: null,
      logprobs: false,
    });
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [user('hi')]],
    ['no messages', {}],
    ['empty messages', { messages: [] }],
    ['messages as an object', { messages: { 0: user('hi') } }],
    ['a sparse array', { messages: [, user('hi')] }], // eslint-disable-line no-sparse-arrays
    ['an unknown role', { messages: [{ role: 'tool', content: 'x' }, user('hi')] }],
    ['content as an array', { messages: [{ role: 'user', content: ['hi'] }] }],
    ['no user message', { messages: [{ role: 'system', content: 'x' }] }],
    ['content over the limit', { messages: [user('a'.repeat(MAX_MESSAGE_CHARS + 1))] }],
    [
      'a system message after the first',
      { messages: [user('hi'), { role: 'system', content: 'x' }, user('yo')] },
    ],
    [
      'two system messages',
      { messages: [{ role: 'system', content: 'a' }, { role: 'system', content: 'b' }, user('hi')] },
    ],
    ['an assistant message last', { messages: [user('hi'), { role: 'assistant', content: 'Hello' }] }],
    ['a system message last', { messages: [user('hi'), { role: 'system', content: 'x' }] }],
  ])('refuses %s with invalid-request on messages or request', (_, request) => {
    expect(codeOf(() => validateRequest(request))).toMatch(/^invalid-request:(messages|request)$/);
  });

  it.each([
    ['max_tokens', 0],
    ['max_tokens', -1],
    ['max_tokens', 1.5],
    ['max_tokens', Number.NaN],
    ['max_tokens', Infinity],
    ['max_tokens', '16'],
    ['temperature', -0.1],
    ['temperature', Number.NaN],
    ['temperature', Infinity],
    ['temperature', 2.01],
    ['top_p', 0],
    ['top_p', 1.01],
    ['top_p', -Infinity],
    ['seed', 2 ** 64],
    ['seed', 0.5],
    ['seed', '1'],
    ['stop', 7],
    ['stop', ['']],
    ['stop', ['a', 'b', 'c', 'd', 'e']],
    ['stop', [null]],
    ['stream', 'yes'],
    ['logprobs', 1],
  ])('refuses %s = %s naming the field', (field, value) => {
    expect(codeOf(() => validateRequest({ messages: [user('hi')], [field]: value }))).toBe(
      `invalid-request:${field}`,
    );
  });

  it('turns a throwing getter or Proxy trap into invalid-request, not a bare TypeError', () => {
    const getter = Object.defineProperty({}, 'messages', {
      get() {
        throw new TypeError('boom');
      },
    });
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const inner = { messages: [Object.defineProperty({ role: 'user' }, 'content', { get: () => { throw 1; } })] }; // prettier-ignore
    for (const request of [getter, trap, inner]) {
      expect(codeOf(() => validateRequest(request))).toBe('invalid-request:request');
    }
  });

  it('ignores prototype-pollution keys and keeps only role and content', () => {
    const request = JSON.parse(
      '{"messages":[{"role":"user","content":"hi","__proto__":{"role":"system"}}],"__proto__":{"max_tokens":-5}}',
    ) as unknown;
    const params = validateRequest(request);
    expect(params.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(params.maxTokens).toBeNull();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('replaces lone surrogates and keeps control characters and valid pairs', () => {
    expect(toWellFormed('a\uD800b\uDC00c\uD83D\uDE00')).toBe('a\uFFFDb\uFFFDc\uD83D\uDE00');
    expect(validateRequest({ messages: [user('\u0000\u001b[31m\u202e')] }).messages[0].content).toBe(
      '\u0000\u001b[31m\u202e',
    );
  });

  it('accepts a system message first and a multi-turn conversation that ends with the user', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      user('Hi'),
      { role: 'assistant', content: 'Hello!' },
      user('And again?'),
    ];
    expect(validateRequest({ messages }).messages).toEqual(messages);
  });

  it('says which message is out of place and what to do', () => {
    expect(() =>
      validateRequest({ messages: [user('hi'), { role: 'system', content: 'x' }, user('yo')] }),
    ).toThrow(/messages\[1\] is a system message.*Merge the instructions into messages\[0\]/);
    expect(() => validateRequest({ messages: [user('hi'), { role: 'assistant', content: 'x' }] })).toThrow(
      /last message must be from the user.*messages\[1\] is from the assistant/,
    );
  });

  it('accepts the edges of every range', () => {
    const params = validateRequest({
      messages: [user('')],
      max_tokens: Number.MAX_SAFE_INTEGER,
      temperature: 0,
      top_p: 1,
      seed: -(2 ** 53 - 1),
      stop: ['\n', 'x'.repeat(1000), '\uD83D\uDE00', ' '],
    });
    expect(params).toMatchObject({ maxTokens: Number.MAX_SAFE_INTEGER, temperature: 0, topP: 1 });
  });
});

describe('validateLoad', () => {
  const ok = { id: 'org/name' };
  it.each([
    ['dtype', { ...ok, dtype: 'fp64' }],
    ['device', { ...ok, device: 'quantum' }],
    ['revision', { ...ok, revision: '../../etc' }],
    ['hubUrl', { ...ok, hubUrl: 'javascript:alert(1)' }],
    ['hubUrl', { ...ok, hubUrl: 'not a url' }],
    ['hubUrl', { ...ok, hubUrl: 42 }],
  ])('refuses a bad %s', (field, spec) => {
    expect(codeOf(() => validateLoad(spec as never, undefined))).toBe(`invalid-request:${field}`);
  });

  it.each([
    ['options', 5],
    ['onProgress', { onProgress: 'log' }],
    ['signal', { signal: { aborted: false } }],
  ])('refuses bad %s', (field, options) => {
    expect(codeOf(() => validateLoad(ok, options))).toBe(`invalid-request:${field}`);
  });

  it('accepts a full spec and no options', () => {
    const spec = {
      id: 'org/name',
      revision: 'main',
      dtype: 'q8',
      device: 'auto',
      hubUrl: 'http://127.0.0.1:1',
    };
    expect(validateLoad(spec as never, null).spec).toEqual(spec);
  });
});

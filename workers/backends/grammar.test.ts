import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Validates every keyword and format the schema subset allows (formats through ajv-formats). */
const validator = () => addFormats(new Ajv({ strict: false }));
import { beforeAll, describe, expect, it } from 'vitest';
import { checkJsonSchema } from '../../src/engine/json-schema-subset.ts';
import type { OutputFormat } from '../../src/engine/validate.ts';
import {
  LLAMA2C_FIXTURES_DIR,
  STORIES_EOS_TOKEN_IDS,
  STORIES_FILES,
  llama2cFixturesAvailable,
  llama2cTokenizerFiles,
  readLlama2cTokenizer,
} from '../../tools/forge/llama2c.ts';
import { loadTokenizer, smollmTokenizerAvailable, type TokenizerName } from '../../tools/forge/tokenizers.ts';
import type { TokenizerFiles } from '../../tools/forge/types.ts';
import { bytesToUnicode } from '../../tools/forge/bpe-tokenizer.ts';
import { GrammarCompilerCache, vocabularyOf, type XgrammarModule } from './grammar.ts';
import { randomSchema, seededRandom } from '../../tools/forge/random-schema.ts';
import { loadXgrammarInNode } from '../../tools/forge/xgrammar-node.ts';

let xgr: XgrammarModule;
beforeAll(() => {
  xgr = loadXgrammarInNode();
});

/** Whether the grammar the worker compiles for `schema` accepts `text` (the worker's options, no tokenizer). */
async function accepts(schema: object, text: string): Promise<boolean> {
  const grammar = await xgr.Grammar.fromJSONSchema(
    checkJsonSchema(schema, 'schema'),
    false,
    -1,
    [', ', ': '],
    true,
  );
  try {
    return await xgr.Testings.isGrammarAcceptString(grammar, text);
  } finally {
    grammar.dispose();
  }
}

describe('every keyword the schema subset accepts is enforced by the grammar', () => {
  const str = (extra: object) => ({ type: 'string', ...extra });
  const obj = {
    type: 'object',
    properties: { a: { type: 'integer' }, b: { type: 'boolean' } },
    required: ['a'],
    additionalProperties: false,
  };
  // [keyword, schema, accepted output, refused output]
  const cases: [string, object, string, string][] = [
    ['enum', { enum: ['red', 'light blue', 3] }, '"light blue"', '"lightblue"'],
    ['const', { const: 'x' }, '"x"', '"y"'],
    ['type', { type: 'integer' }, '12', '1.5'],
    ['type (list)', { type: ['string', 'null'] }, 'null', 'true'],
    ['properties', obj, '{"a": 1, "b": true}', '{"a": "1"}'],
    ['required', obj, '{"a": 1}', '{"b": true}'],
    ['additionalProperties (absent = false)', obj, '{"a": 1}', '{"a": 1, "c": 2}'],
    ['items', { type: 'array', items: { type: 'number' } }, '[1, 2.5]', '[1, "x"]'],
    ['minItems', { type: 'array', items: { type: 'integer' }, minItems: 2 }, '[1, 2]', '[1]'],
    ['maxItems', { type: 'array', items: { type: 'integer' }, maxItems: 2 }, '[1, 2]', '[1, 2, 3]'],
    ['minLength', str({ minLength: 3 }), '"abc"', '"ab"'],
    ['maxLength', str({ maxLength: 3 }), '"abc"', '"abcd"'],
    ['pattern', str({ pattern: '^[A-Z]{2}-\\d{3}$' }), '"AB-123"', '"AB-12"'],
    ['format date', str({ format: 'date' }), '"2024-02-29"', '"2024-2-29"'],
    ['format time', str({ format: 'time' }), '"13:45:00Z"', '"13h45"'],
    ['format date-time', str({ format: 'date-time' }), '"2024-02-29T13:45:00Z"', '"2024-02-29 13:45"'],
    ['format duration', str({ format: 'duration' }), '"P3DT4H"', '"3 days"'],
    ['format email', str({ format: 'email' }), '"ana@example.com"', '"ana.example.com"'],
    ['format hostname', str({ format: 'hostname' }), '"example.com"', '"exa mple.com"'],
    ['format ipv4', str({ format: 'ipv4' }), '"192.168.0.1"', '"192.168.0"'],
    ['format ipv6', str({ format: 'ipv6' }), '"::1"', '"1:2"'],
    ['format uuid', str({ format: 'uuid' }), '"123e4567-e89b-12d3-a456-426614174000"', '"123e4567"'],
    ['minimum', { type: 'integer', minimum: 3, maximum: 90 }, '3', '2'],
    ['maximum', { type: 'integer', minimum: -90, maximum: -3 }, '-3', '-2'],
    ['exclusiveMinimum', { type: 'integer', exclusiveMinimum: -3, maximum: 9 }, '-2', '-3'],
    ['exclusiveMaximum', { type: 'integer', minimum: 0, exclusiveMaximum: 30 }, '29', '30'],
    ['anyOf', { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 1 }] }, '"a"', 'true'],
    [
      '$ref / $defs',
      {
        type: 'object',
        properties: { p: { $ref: '#/$defs/p' } },
        required: ['p'],
        $defs: { p: { enum: [1, 2] } },
      },
      '{"p": 2}',
      '{"p": 3}',
    ],
    [
      '$ref / definitions',
      { type: 'array', items: { $ref: '#/definitions/t' }, definitions: { t: { type: 'boolean' } } },
      '[true]',
      '[1]',
    ],
  ];
  it.each(cases)('%s', async (_keyword, schema, good, bad) => {
    expect(await accepts(schema, good)).toBe(true);
    expect(await accepts(schema, bad)).toBe(false);
  });

  it('every regular-expression construct the subset lets through compiles (a failed compile would end XGrammar in the worker)', async () => {
    for (const pattern of [
      '^(?:ab)+$',
      '^(?<n>a)$',
      '^\\d{3}-\\w+\\s?$',
      '^[^"\\\\]{2,5}$',
      'abc',
      '^a|b$',
      '^\\u00e9+$',
      '^[\\u0041-\\u005A]$',
      '^.{1,3}$',
      '^a*?$',
      '^\\x41$',
      '^(a|b){2}$',
      '^a{2,}$',
      '^[\\d\\s]$',
      '^\\$\\^$',
    ]) {
      const grammar = await xgr.Grammar.fromJSONSchema(
        checkJsonSchema({ type: 'string', pattern }, 'schema'),
        false,
        -1,
        [', ', ': '],
        true,
      );
      grammar.dispose();
    }
  });

  it('the bounds the subset refuses are the ones XGrammar 0.1.27 does not enforce (revisit when it does)', async () => {
    const grammarAccepts = async (schema: object, text: string) => {
      const grammar = await xgr.Grammar.fromJSONSchema(JSON.stringify(schema), false, -1, [', ', ': '], true);
      const ok = await xgr.Testings.isGrammarAcceptString(grammar, text);
      grammar.dispose();
      return ok;
    };
    expect(await grammarAccepts({ type: 'integer', minimum: 3 }, '2')).toBe(true);
    expect(await grammarAccepts({ type: 'integer', maximum: -3 }, '-2')).toBe(true);
    expect(await grammarAccepts({ type: 'number', minimum: -10, maximum: 99 }, '-10.5')).toBe(true);
  });
});

interface NamedTokenizer {
  name: string;
  /**
   * Schemas to try: 40 on the small vocabularies, fewer where a step costs more (150k logits), to keep the unit run
   * short; PETIT_GRAMMAR_SWEEP=1 tries 100 / 50 / 25 (the e2e spec runs 100 in Chromium on every CI run).
   */
  schemas: number;
  files: TokenizerFiles;
  size: number;
  stopIds: number[];
}

/** The full sweep is 2.5× the default count. */
const sweep = (n: number) => (process.env.PETIT_GRAMMAR_SWEEP ? Math.round(n * 2.5) : n);

function tokenizers(): (NamedTokenizer | string)[] {
  const forged = (name: TokenizerName, size: number): NamedTokenizer | string => {
    if (name === 'smollm' && !smollmTokenizerAvailable())
      return 'smollm: ../shared/fixtures/tokenizers/smollm is absent, skipped';
    const t = loadTokenizer(name, size);
    const endOfTurn = (t.tokenizer.added_tokens as { id: number; content: string }[])
      .filter((a) => ['<|im_end|>', '<|eot_id|>', '<|endoftext|>'].includes(a.content))
      .map((a) => a.id);
    const schemas = sweep(size > 100_000 ? 10 : size > 10_000 ? 20 : 40);
    return { name, schemas, files: t, size, stopIds: [...new Set([...t.eosTokenIds, ...endOfTurn])] };
  };
  const stories = (): NamedTokenizer | string => {
    if (!llama2cFixturesAvailable()) return `stories260K: ${LLAMA2C_FIXTURES_DIR} is absent, skipped`;
    const tok = readLlama2cTokenizer(readFileSync(join(LLAMA2C_FIXTURES_DIR, STORIES_FILES.tokenizer)), 512);
    return {
      name: 'stories260K',
      schemas: sweep(40),
      files: llama2cTokenizerFiles(tok, 512),
      size: 512,
      stopIds: STORIES_EOS_TOKEN_IDS,
    };
  };
  return [
    forged('bpe', 1024),
    stories(),
    forged('smollm', 49152),
    forged('qwen2.5', 151936),
    forged('llama3.2', 128256),
  ];
}

/**
 * The worst case of a model: random logits at every step, so only the grammar keeps the output valid. Runs the
 * worker's own constraint (mask, accept) and the tokenizer's own decoding, as the backend does.
 */
async function generate(
  cache: GrammarCompilerCache,
  tokenizer: PreTrainedTokenizer,
  size: number,
  format: OutputFormat,
  random: () => number,
): Promise<{ text: string; finished: boolean }> {
  const constraint = await cache.constraint(format);
  const ids: number[] = [];
  const scores = new Float32Array(size);
  try {
    for (let step = 0; step < 400; step++) {
      await constraint.prepare();
      for (let i = 0; i < size; i++) scores[i] = random();
      constraint.apply(scores);
      let best = 0;
      for (let i = 1; i < size; i++) if (scores[i] > scores[best]) best = i;
      constraint.accept(best);
      expect(constraint.rejected).toBeNull();
      if (cache.stopIds.includes(best))
        return { text: tokenizer.decode(ids, { skip_special_tokens: true }), finished: true };
      ids.push(best);
    }
    return { text: tokenizer.decode(ids, { skip_special_tokens: true }), finished: false };
  } finally {
    constraint.dispose();
  }
}

describe.each(tokenizers().map((t) => [typeof t === 'string' ? t : t.name, t] as const))(
  'random logits constrained on a real tokenizer: %s',
  (_name, tok) => {
    const named = typeof tok === 'string' ? null : tok;
    it.skipIf(!named)(
      `every answer to ${named?.schemas ?? 0} generated schemas parses and validates (${named?.name ?? tok})`,
      { timeout: 180_000 },
      async () => {
        const { files, size, stopIds } = named!;
        const tokenizer = new PreTrainedTokenizer(files.tokenizer, files.tokenizerConfig);
        const vocabulary = vocabularyOf(files.tokenizer, size);
        const cache = await GrammarCompilerCache.create(xgr, vocabulary, stopIds);
        const ajv = validator();
        // RFC 3339's full-time, as XGrammar writes it (a leap second 60 included); Ajv's own is stricter.
        ajv.addFormat(
          'time',
          /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/,
        );
        const random = seededRandom(named!.name.length * 7919);
        let finished = 0;
        try {
          for (let n = 0; n < named!.schemas; n++) {
            const schema = randomSchema(random);
            const format: OutputFormat = {
              type: 'json_schema',
              name: 's',
              schema: checkJsonSchema(schema, 'schema'),
            };
            const out = await generate(cache, tokenizer, size, format, random);
            if (!out.finished) continue;
            finished += 1;
            let value: unknown;
            expect(() => (value = JSON.parse(out.text)), `${out.text} for ${format.schema}`).not.toThrow();
            expect(ajv.validate(schema, value), `${out.text} for ${format.schema}: ${ajv.errorsText()}`).toBe(
              true,
            );
          }
          const object = await generate(cache, tokenizer, size, { type: 'json_object' }, random);
          if (object.finished) expect(typeof JSON.parse(object.text)).toBe('object');
        } finally {
          cache.dispose();
        }
        // Bounded schemas end well within the step limit: nearly all answers are complete.
        expect(finished).toBeGreaterThanOrEqual(named!.schemas * 0.95);
      },
    );
  },
);

describe('the UTF-8 guard beside the grammar', () => {
  it('masks what XGrammar lets through token by token: a raw control character, an overlong form, a surrogate', async () => {
    const files = loadTokenizer('bpe', 1024);
    const vocabulary = vocabularyOf(files.tokenizer, 1024);
    const cache = await GrammarCompilerCache.create(xgr, vocabulary, [2]);
    const byteLevel = bytesToUnicode();
    const byte = (b: number) => vocabulary.encoded.indexOf(byteLevel[b]);
    const format: OutputFormat = {
      type: 'json_schema',
      name: 's',
      schema: '{"type":"string","maxLength":9}',
    };
    try {
      for (const bytes of [[0x0b], [0xc0, 0x91], [0xed, 0xa0, 0x80]]) {
        const constraint = await cache.constraint(format);
        constraint.accept(byte(0x22));
        const masked: boolean[] = [];
        for (const b of bytes) {
          await constraint.prepare();
          const scores = new Float32Array(1024);
          constraint.apply(scores);
          masked.push(scores[byte(b)] === -Infinity);
          constraint.accept(byte(b));
        }
        // XGrammar's matcher takes every byte; the guard masks the sequence at its first invalid byte.
        expect(constraint.rejected).toBeNull();
        expect(masked.some(Boolean)).toBe(true);
        constraint.dispose();
      }
    } finally {
      cache.dispose();
    }
  });
});

describe('a schema the grammar engine fails on', () => {
  it('is a backend-error when XGrammar aborts (the engine then starts a fresh worker), never a silent plain answer', async () => {
    // Its own XGrammar instance: an abort ends the module it happens in.
    const doomed = loadXgrammarInNode();
    const cache = await GrammarCompilerCache.create(
      doomed,
      vocabularyOf(loadTokenizer('bpe', 1024).tokenizer, 1024),
      [2],
    );
    const error = await cache
      .constraint({ type: 'json_schema', name: 's', schema: '{"type":"string","pattern":"^(a)\\\\1$"}' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'backend-error', details: { field: 'response_format' } });
  });
});

describe('vocabularyOf', () => {
  it('reads the vocabulary type each tokenizer family needs', () => {
    const bpe = loadTokenizer('bpe', 1024);
    expect(vocabularyOf(bpe.tokenizer, 1024)).toMatchObject({ type: 'byte_level', tokenCount: 1024 });
    const qwen = vocabularyOf(loadTokenizer('qwen2.5', 151936).tokenizer, 151936);
    // Without a vocab_size in config.json, the tokenizer's own size.
    expect(vocabularyOf(bpe.tokenizer, Number.NaN).encoded).toHaveLength(1024);
    expect(() => vocabularyOf({}, 1024)).toThrow(expect.objectContaining({ code: 'invalid-model-config' }));
    // Qwen2.5's 151936 logits cover 151665 tokens: the padding rows are no text.
    expect(qwen.tokenCount).toBe(151665);
    expect(qwen.specialIds.length).toBeGreaterThan(10);
    if (llama2cFixturesAvailable()) {
      const tok = readLlama2cTokenizer(
        readFileSync(join(LLAMA2C_FIXTURES_DIR, STORIES_FILES.tokenizer)),
        512,
      );
      expect(vocabularyOf(llama2cTokenizerFiles(tok, 512).tokenizer, 512).type).toBe('byte_fallback');
    }
  });
});

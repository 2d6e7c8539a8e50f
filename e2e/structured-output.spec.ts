import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Validates every keyword and format the schema subset allows (formats through ajv-formats). */
const validator = () => addFormats(new Ajv({ strict: false }));
import { forgeCached } from '../tools/forge/cache.ts';
import { randomSchema, seededRandom } from '../tools/forge/random-schema.ts';
import { smollmTokenizerAvailable } from '../tools/forge/tokenizers.ts';
import { HUB_URL, STORIES_MODEL, TINY_MODEL } from './env.ts';
import { expect, test } from './fixtures.ts';
import { HUB_ROOT } from './global-setup.ts';
import { STORIES_SKIP_REASON, storiesAvailable } from './stories.ts';

/**
 * Structured output (issue 15) in a real browser: models with random weights (the worst case: nothing but the
 * grammar makes their output JSON) and real tokenizers, through the public chat.completions API.
 */
type Petit = import('../src/index.ts').PetitEngine;
declare global {
  interface Window {
    petit: Petit;
  }
}

/** The tiny llama shape with SmolLM's real 49,152-token byte-level vocabulary (random weights). */
const SMOLLM_TOKENIZER_MODEL = 'petit-test/tiny-smollm-vocab';

const SCHEMAS: Record<string, Record<string, unknown>> = {
  enum: {
    type: 'object',
    properties: { topic: { enum: ['billing', 'bug report', 'other'] }, urgent: { type: 'boolean' } },
    required: ['topic', 'urgent'],
    additionalProperties: false,
  },
  nested: {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 16 },
      age: { type: 'integer', minimum: 0, maximum: 120 },
      address: {
        type: 'object',
        properties: { city: { type: 'string', maxLength: 12 }, zip: { type: 'string', pattern: '^\\d{5}$' } },
        required: ['city', 'zip'],
        additionalProperties: false,
      },
    },
    required: ['name', 'age', 'address'],
    additionalProperties: false,
  },
  array: {
    type: 'object',
    properties: {
      tags: { type: 'array', items: { type: 'string', maxLength: 8 }, minItems: 1, maxItems: 3 },
    },
    required: ['tags'],
    additionalProperties: false,
  },
  number: {
    type: 'object',
    properties: { price: { type: 'number' }, quantity: { type: 'integer', minimum: 1, maximum: 99 } },
    required: ['price', 'quantity'],
    additionalProperties: false,
  },
};

interface Answer {
  content: string;
  finish: string | null;
  streamed?: string;
}

/** Runs every fixed schema on the loaded model, greedy and sampled, streaming and not. */
async function runFixedSchemas(
  page: import('@playwright/test').Page,
  model: string,
): Promise<Record<string, Answer[]>> {
  return page.evaluate(
    async ({ model, hub, schemas }) => {
      await window.petit.load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub });
      const messages = [{ role: 'user' as const, content: 'Fill in the form.' }];
      const out: Record<string, Answer[]> = {};
      for (const [name, schema] of Object.entries(schemas)) {
        const response_format = { type: 'json_schema' as const, json_schema: { name, schema, strict: true } };
        const answers: Answer[] = [];
        for (const seed of [0, 1, 2]) {
          const sampling = seed === 0 ? { temperature: 0 } : { temperature: 1, seed };
          const plain = await window.petit.chat.completions.create({
            messages,
            response_format,
            max_tokens: 300,
            ...sampling,
          });
          const stream = await window.petit.chat.completions.create({
            messages,
            response_format,
            max_tokens: 300,
            stream: true,
            ...sampling,
          });
          let streamed = '';
          let finish: string | null = null;
          for await (const chunk of stream) {
            streamed += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
          }
          answers.push({ content: plain.choices[0].message.content, finish: plain.choices[0].finish_reason });
          answers.push({ content: streamed, finish, streamed });
        }
        out[name] = answers;
      }
      const object = await window.petit.chat.completions.create({
        messages,
        response_format: { type: 'json_object' },
        max_tokens: 300,
        temperature: 1,
        seed: 5,
      });
      out.json_object = [
        { content: object.choices[0].message.content, finish: object.choices[0].finish_reason },
      ];
      return out;
    },
    { model, hub: HUB_URL, schemas: SCHEMAS },
  );
}

/** `storyteller`: a trained story model fills a free-form JSON object with one endless story (cut at max_tokens). */
function expectValid(answers: Record<string, Answer[]>, { storyteller = false } = {}): void {
  const ajv = validator();
  for (const [name, list] of Object.entries(answers)) {
    for (const answer of list) {
      if (storyteller && name === 'json_object' && answer.finish === 'length') {
        expect(answer.content).toMatch(/^\{"/);
        continue;
      }
      expect(answer.finish, `${name}: ${answer.content}`).toBe('stop');
      let value: unknown;
      expect(() => (value = JSON.parse(answer.content)), `${name}: ${answer.content}`).not.toThrow();
      if (name === 'json_object') expect(typeof value === 'object' && !Array.isArray(value)).toBe(true);
      else
        expect(ajv.validate(SCHEMAS[name], value), `${name}: ${answer.content} ${ajv.errorsText()}`).toBe(
          true,
        );
    }
  }
  // Greedy: the stream says what the plain call said.
  for (const name of Object.keys(SCHEMAS)) expect(answers[name][1].streamed).toBe(answers[name][0].content);
}

test.describe('structured output on transformers.js', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/api.html');
    await expect(page.locator('#state')).toContainText('Ready');
  });

  test('random weights, generated BPE: enum, nested object, array and number schemas always parse and validate, streaming and not', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    expectValid(await runFixedSchemas(page, TINY_MODEL));
  });

  test('random weights: 100 generated schemas, each answer parses and validates', async ({ page }) => {
    test.setTimeout(400_000);
    const random = seededRandom(15);
    const schemas = Array.from({ length: 100 }, () => randomSchema(random));
    const answers = await page.evaluate(
      async ({ model, hub, schemas }) => {
        await window.petit.load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub });
        const out: Answer[] = [];
        for (const [i, schema] of schemas.entries()) {
          const answer = await window.petit.chat.completions.create({
            messages: [{ role: 'user', content: `Record ${i}.` }],
            response_format: { type: 'json_schema', json_schema: { name: `s${i}`, schema, strict: true } },
            max_tokens: 400,
            temperature: 1,
            seed: i,
          });
          out.push({ content: answer.choices[0].message.content, finish: answer.choices[0].finish_reason });
        }
        return out;
      },
      { model: TINY_MODEL, hub: HUB_URL, schemas },
    );
    const ajv = validator();
    ajv.addFormat('time', /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/);
    const complete = answers.filter((a) => a.finish === 'stop');
    expect(complete.length).toBeGreaterThanOrEqual(95);
    answers.forEach((answer, i) => {
      if (answer.finish !== 'stop') return;
      const value: unknown = JSON.parse(answer.content);
      expect(ajv.validate(schemas[i], value), `${answer.content} ${ajv.errorsText()}`).toBe(true);
    });
  });

  test('stories260K (its real sentencepiece tokenizer with byte fallback): schemas parse and validate', async ({
    page,
  }) => {
    test.skip(!storiesAvailable(), STORIES_SKIP_REASON);
    test.setTimeout(240_000);
    expectValid(await runFixedSchemas(page, STORIES_MODEL), { storyteller: true });
  });

  test("SmolLM's real 49,152-token vocabulary on random weights: schemas parse and validate", async ({
    page,
  }) => {
    test.skip(
      !smollmTokenizerAvailable(),
      '../shared/fixtures/tokenizers/smollm is absent: this test needs it',
    );
    test.setTimeout(300_000);
    const forged = await forgeCached({
      preset: 'tiny-llama',
      shape: { vocabSize: 49152 },
      tokenizer: 'smollm',
      dtypes: ['fp32'],
      modelId: SMOLLM_TOKENIZER_MODEL,
      seed: 15,
    });
    cpSync(forged.dir, join(HUB_ROOT, SMOLLM_TOKENIZER_MODEL), { recursive: true });
    expectValid(await runFixedSchemas(page, SMOLLM_TOKENIZER_MODEL));
  });

  test('refused up front: an unsupported keyword (named), n: 2; an answer cut mid-JSON ends with finish_reason length and the engine goes on', async ({
    page,
  }) => {
    const result = await page.evaluate(
      async ({ model, hub, schema }) => {
        await window.petit.load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub });
        const messages = [{ role: 'user' as const, content: 'Fill in the form.' }];
        const refusal = (p: Promise<unknown>) =>
          p.then(
            () => null,
            (e: { code: string; message: string; details?: Record<string, unknown> }) => ({
              code: e.code,
              message: e.message,
              details: e.details,
            }),
          );
        const multipleOf = await refusal(
          window.petit.chat.completions.create({
            messages,
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'x', schema: { type: 'integer', multipleOf: 5 } },
            },
          }),
        );
        const n = await refusal(window.petit.chat.completions.create({ messages, n: 2 } as never));
        const cut = await window.petit.chat.completions.create({
          messages,
          response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
          max_tokens: 3,
          temperature: 0,
        });
        const after = await window.petit.chat.completions.create({
          messages,
          response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
          max_tokens: 300,
          temperature: 0,
        });
        return {
          multipleOf,
          n,
          cut: cut.choices[0].finish_reason,
          after: after.choices[0].message.content,
          afterFinish: after.choices[0].finish_reason,
        };
      },
      { model: TINY_MODEL, hub: HUB_URL, schema: SCHEMAS.nested },
    );
    expect(result.multipleOf?.code).toBe('invalid-request');
    expect(result.multipleOf?.message).toContain('`multipleOf`');
    expect(result.multipleOf?.details).toMatchObject({ field: 'response_format', keyword: 'multipleOf' });
    expect(result.n?.code).toBe('invalid-request');
    expect(result.n?.details).toMatchObject({ field: 'n' });
    expect(result.cut).toBe('length');
    expect(result.afterFinish).toBe('stop');
    expect(validator().validate(SCHEMAS.nested, JSON.parse(result.after))).toBe(true);
  });
});

/**
 * The cost of constrained decoding per token (BENCHMARKS.md, "Issue 15: structured output"), on demand only:
 *   PETIT_MEASURE_STRUCTURED=1 npx playwright test e2e/structured-output.spec.ts -g "cost per token"
 * SmolLM2-135M's shape in q8 with its real tokenizer (random weights), the same prompt, 48 greedy tokens per
 * answer, plain and constrained runs interleaved in one page so that the machine's drift hits both alike.
 */
test('cost per token of constrained decoding on SmolLM2-135M q8 (measurement)', async ({ page }) => {
  test.skip(!process.env.PETIT_MEASURE_STRUCTURED, 'a measurement: set PETIT_MEASURE_STRUCTURED=1 to run it');
  test.skip(
    !smollmTokenizerAvailable(),
    '../shared/fixtures/tokenizers/smollm is absent: the measurement needs it',
  );
  test.setTimeout(900_000);
  const model = 'petit-test/smollm2-135m-q8';
  const forged = await forgeCached({ preset: 'smollm2-135m', dtypes: ['q8'], seed: 1 });
  cpSync(forged.dir, join(HUB_ROOT, model), { recursive: true });
  await page.goto('/api.html');
  await expect(page.locator('#state')).toContainText('Ready');
  const runs = await page.evaluate(
    async ({ model, hub }) => {
      await window.petit.load({ id: model, dtype: 'q8', device: 'wasm', hubUrl: hub });
      const messages = [{ role: 'user' as const, content: 'Write a short note about the weather today.' }];
      // A string of at least 300 characters: the answer is still inside the JSON after 48 tokens.
      const schema = {
        type: 'object',
        properties: { note: { type: 'string', minLength: 300, maxLength: 400 } },
        required: ['note'],
        additionalProperties: false,
      };
      const kinds = {
        plain: {},
        json_schema: {
          response_format: { type: 'json_schema' as const, json_schema: { name: 'note', schema } },
        },
        json_object: { response_format: { type: 'json_object' as const } },
      };
      const out: { kind: string; round: number; msPerToken: number; tokens: number; ttftMs: number }[] = [];
      for (let round = 0; round < 6; round++) {
        for (const [kind, extra] of Object.entries(kinds)) {
          const r = await window.petit.chat.completions.create({
            messages,
            max_tokens: 48,
            temperature: 0,
            ...extra,
          });
          out.push({
            kind,
            round,
            msPerToken: 1000 / r.usage.extra.decode_tokens_per_s,
            tokens: r.usage.completion_tokens,
            ttftMs: r.usage.extra.time_to_first_token_ms,
          });
        }
      }
      return out;
    },
    { model, hub: HUB_URL },
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Round 0 pays one-time costs (the grammar compiler for the vocabulary, the first compile): reported apart.
  for (const kind of ['plain', 'json_schema', 'json_object']) {
    const mine = runs.filter((r) => r.kind === kind);
    const steady = mine.filter((r) => r.round > 0);
    console.log(
      `${kind}: median ${median(steady.map((r) => r.msPerToken)).toFixed(2)} ms/token over ${steady.length} runs of ` +
        `${median(steady.map((r) => r.tokens))} tokens (all: ${mine.map((r) => r.msPerToken.toFixed(1)).join(', ')}); ` +
        `first token ${mine[0].ttftMs.toFixed(0)} ms on round 0, median ${median(steady.map((r) => r.ttftMs)).toFixed(0)} ms after`,
    );
  }
  expect(runs.every((r) => r.tokens === 48)).toBe(true);
});

/**
 * What constrained decoding adds per token, apart from the model: the worker's own grammar steps (XGrammar's
 * bitmask, the mask on the logits, the accepted token) on a real vocabulary, timed in Node (same V8 and wasm as
 * Chromium), with random logits standing in for the model. Also the one-time costs: the vocabulary's compiler
 * (first constrained request of a loaded model) and one schema's compile (first request with that schema).
 *   npx tsx tools/forge/measure-grammar.ts [--tokenizer smollm,qwen2.5] [--tokens 2000]
 * The browser A/B with the model (e2e/structured-output.spec.ts, "cost per token") gives the whole picture.
 */
import { parseArgs } from 'node:util';
import { checkJsonSchema } from '../../src/engine/json-schema-subset.ts';
import type { OutputFormat } from '../../src/engine/validate.ts';
import { GrammarCompilerCache, vocabularyOf } from '../../workers/backends/grammar.ts';
import { seededRandom } from './random-schema.ts';
import { loadTokenizer, type TokenizerName } from './tokenizers.ts';
import { loadXgrammarInNode } from './xgrammar-node.ts';

const { values } = parseArgs({
  options: {
    tokenizer: { type: 'string', default: 'smollm,qwen2.5' },
    tokens: { type: 'string', default: '2000' },
  },
});
const SIZES: Partial<Record<TokenizerName, number>> = {
  smollm: 49152,
  'qwen2.5': 151936,
  'llama3.2': 128256,
  bpe: 1024,
};
const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 40 },
    topic: { enum: ['billing', 'bug report', 'other'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 4 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
  },
  required: ['name', 'topic', 'tags', 'age'],
  additionalProperties: false,
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const xgr = loadXgrammarInNode();

for (const name of String(values.tokenizer).split(',') as TokenizerName[]) {
  const size = SIZES[name] ?? 49152;
  const tokenizer = loadTokenizer(name, size);
  const stopIds = tokenizer.eosTokenIds;
  let t = performance.now();
  const cache = await GrammarCompilerCache.create(xgr, vocabularyOf(tokenizer.tokenizer, size), stopIds);
  const setupMs = performance.now() - t;
  const formats: [string, OutputFormat][] = [
    ['json_schema', { type: 'json_schema', name: 'form', schema: checkJsonSchema(SCHEMA, 'schema') }],
    ['json_object', { type: 'json_object' }],
  ];
  for (const [kind, format] of formats) {
    t = performance.now();
    await (await cache.constraint(format)).dispose();
    const compileMs = performance.now() - t;
    const random = seededRandom(1);
    const scores = new Float32Array(size);
    const perToken: number[] = [];
    let answers = 0;
    while (perToken.length < Number(values.tokens)) {
      const constraint = await cache.constraint(format);
      answers += 1;
      for (let step = 0; step < 400; step++) {
        for (let i = 0; i < size; i++) scores[i] = random();
        const start = performance.now();
        await constraint.prepare();
        constraint.apply(scores);
        let best = 0;
        for (let i = 1; i < size; i++) if (scores[i] > scores[best]) best = i;
        constraint.accept(best);
        perToken.push(performance.now() - start);
        if (stopIds.includes(best)) break;
      }
      constraint.dispose();
    }
    console.log(
      `${name} (${size} logits) ${kind}: ${median(perToken).toFixed(3)} ms/token median, ` +
        `mean ${(perToken.reduce((a, b) => a + b, 0) / perToken.length).toFixed(3)} ms, ` +
        `p90 ${[...perToken].sort((a, b) => a - b)[Math.floor(perToken.length * 0.9)].toFixed(3)} ms, over ${perToken.length} tokens in ${answers} answers; ` +
        `compiler for the vocabulary ${setupMs.toFixed(0)} ms once per model, first compile of this format ${compileMs.toFixed(0)} ms`,
    );
  }
  cache.dispose();
}

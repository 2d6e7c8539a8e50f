/**
 * Acceptance of the stories260K conversion: the converted tokenizer and ONNX model reproduce llama2.c's run.c
 * (greedy, temperature 0) token for token, checked against the reference in llama2c-reference.ts, which runs
 * run.c's algorithm on the raw checkpoint arrays (never on the converted weights or the ONNX file).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedy } from './decoder-runner.ts';
import { ForgeError } from './errors.ts';
import {
  LLAMA2C_FIXTURES_DIR,
  STORIES_MODEL_ID,
  convertLlama2c,
  forgeStories260K,
  interleavedToHalves,
  llama2cFixturesAvailable,
  readLlama2cCheckpoint,
} from './llama2c.ts';
import {
  refEncode,
  refGenerate,
  refReadCheckpoint,
  refReadTokenizer,
  type RefGeneration,
  type RefModel,
  type RefTokenizer,
} from './llama2c-reference.ts';

const have = llama2cFixturesAvailable();
if (!have) {
  console.warn(
    `llama2c.test.ts: skipped, ${LLAMA2C_FIXTURES_DIR} is absent (the shared fixtures sit at ../shared/fixtures)`,
  );
}

/** Greedy new tokens compared per prompt; the last story ends (the model picks BOS) after 189 tokens. */
const NEW_TOKENS: Record<string, number> = {
  'Once upon a time': 60,
  '': 60,
  'Lily saw a café 😊': 60,
  'The little dog was sad because': 250,
};
const PROMPTS = Object.keys(NEW_TOKENS);

describe('llama2.c converter: pure functions', () => {
  it('permutes interleaved rotary pairs into halves per head', () => {
    // 2 heads of size 4, 1 column: rows (h, 2i + j) -> (h, j*2 + i).
    const w = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
    expect(Array.from(interleavedToHalves(w, 2, 4, 1))).toEqual([0, 2, 1, 3, 10, 12, 11, 13]);
  });

  it('refuses a file that is not a llama2.c checkpoint, saying why', () => {
    const header = new Int32Array([64, 172, 5, 8, 4, 512, 512]);
    expect(() => readLlama2cCheckpoint(new Uint8Array(header.buffer))).toThrow(/implies \d+/);
    expect(() => readLlama2cCheckpoint(new Uint8Array(3))).toThrow(ForgeError);
    expect(() => readLlama2cCheckpoint(new Uint8Array(new Int32Array([0, 0, 0, 0, 0, 0, 0]).buffer))).toThrow(
      /not a llama2.c version-0 checkpoint/,
    );
  });

  it('says where the fixtures should be when they are missing', () => {
    expect(() => convertLlama2c('/nonexistent')).toThrow(/shared\/fixtures\/llama2c/);
    try {
      convertLlama2c('/nonexistent');
    } catch (err) {
      expect((err as ForgeError).code).toBe('fixture-missing');
    }
  });
});

describe.skipIf(!have)('stories260K reproduces llama2.c run.c', () => {
  let work: string;
  let refModel: RefModel;
  let refTok: RefTokenizer;
  let tokenizer: PreTrainedTokenizer;
  const refs = new Map<string, RefGeneration>();

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'llama2c-test-'));
    refModel = refReadCheckpoint(readFileSync(path.join(LLAMA2C_FIXTURES_DIR, 'stories260K.bin')));
    refTok = refReadTokenizer(readFileSync(path.join(LLAMA2C_FIXTURES_DIR, 'tok512.bin')), refModel.vocab);
    for (const p of PROMPTS) refs.set(p, refGenerate(refModel, refTok, p, NEW_TOKENS[p]));
    forgeStories260K(path.join(work, STORIES_MODEL_ID), ['fp32']);
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = `${work}/`;
    tokenizer = await AutoTokenizer.from_pretrained(STORIES_MODEL_ID);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the reference itself continues "Once upon a time" as run.c does', () => {
    // Printed so the app's end-to-end tests can assert it; the checks below compare against the reference.
    const g = refs.get('Once upon a time')!;
    console.log(
      `llama2.c reference, "Once upon a time" + ${g.newTokens.length} tokens: ${JSON.stringify(g.text)}`,
    );
    expect(g.newTokens).toHaveLength(60);
    // A story that ends: run.c stops at BOS, so must generate().
    expect(refs.get('The little dog was sad because')!.stoppedAtBos).toBe(true);
  });

  it.each(PROMPTS)('tokenizer.json encodes %j as run.c encode() does', (prompt) => {
    const expected = refs.get(prompt)!.promptTokens;
    expect(Array.from(tokenizer.encode(prompt))).toEqual(expected);
    // The chat template (what the chat UI sends) gives the same tokens.
    const chat = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
      tokenize: true,
      return_tensor: false,
      return_dict: false,
    }) as number[];
    expect(Array.from(chat)).toEqual(expected);
  });

  it('tokenizer.json agrees with run.c encode() on 3000 random strings and decodes them back', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pieces = refTok.vocab.slice(259).map((b) => new TextDecoder().decode(b));
    const chars = Array.from(' etaoinshrdlu.,!?"\'\nTLSéü😊-—’');
    for (let n = 0; n < 3000; n++) {
      let s = '';
      const len = 1 + Math.floor(rnd() * 10);
      for (let i = 0; i < len; i++) {
        s +=
          rnd() < 0.5 ? pieces[Math.floor(rnd() * pieces.length)] : chars[Math.floor(rnd() * chars.length)];
      }
      const ids = Array.from(tokenizer.encode(s));
      expect(ids, JSON.stringify(s)).toEqual(refEncode(refTok, s));
      // The decoder drops the dummy prefix space, as sentencepiece does.
      expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(s);
    }
  });

  it.each(PROMPTS)(
    "ONNX fp32 through onnxruntime-node generates run.c's greedy tokens for %j",
    async (prompt) => {
      const ref = refs.get(prompt)!;
      const session = await ort.InferenceSession.create(
        path.join(work, STORIES_MODEL_ID, 'onnx', 'model.onnx'),
      );
      const dims = {
        numLayers: refModel.layers,
        numKvHeads: refModel.kvHeads,
        headDim: refModel.dim / refModel.heads,
        vocabSize: refModel.vocab,
      };
      const got = await greedy(session, ort, dims, ref.promptTokens, NEW_TOKENS[prompt]);
      await session.release();
      // run.c stops at BOS; this plain loop goes on, so the story's end shows as a BOS.
      expect(got.slice(0, ref.newTokens.length + 1)).toEqual(
        ref.stoppedAtBos ? [...ref.newTokens, 1] : ref.newTokens,
      );
    },
  );

  it.each(PROMPTS)(
    "transformers.js chat template + generate gives run.c's greedy tokens and text for %j",
    async (prompt) => {
      const ref = refs.get(prompt)!;
      const model = await AutoModelForCausalLM.from_pretrained(STORIES_MODEL_ID, {
        dtype: 'fp32',
        device: 'cpu',
      });
      const inputs = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
        tokenize: true,
        return_dict: true,
      }) as Record<string, unknown>;
      const out = (await model.generate({
        ...inputs,
        max_new_tokens: NEW_TOKENS[prompt],
        do_sample: false,
      })) as {
        tolist(): bigint[][];
      };
      await model.dispose();
      const ids = out.tolist()[0].map(Number);
      expect(ids.slice(0, ref.promptTokens.length)).toEqual(ref.promptTokens);
      // generation_config.json stops at BOS too (the stop token stays in the output, as transformers.js does).
      expect(ids.slice(ref.promptTokens.length)).toEqual(
        ref.stoppedAtBos ? [...ref.newTokens, 1] : ref.newTokens,
      );
      expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(prompt + ref.text);
    },
  );
});

/**
 * Forged folders are what transformers.js expects: they load from a local path with the network off, apply the
 * chat template and generate; seeds give byte-identical files; bad input fails with a typed error.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeCached } from './cache.ts';
import { greedy } from './decoder-runner.ts';
import { ForgeError } from './errors.ts';
import { COMPLETE_MARKER, forge } from './forge.ts';
import { getPreset } from './presets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'forge-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function useLocal(root: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${root}/`;
}

function hashFolder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const CHAT = [{ role: 'user', content: 'Hello there, how are you?' }];

describe.each(['tiny-llama', 'tiny-qwen2'] as const)('a forged %s in transformers.js (Node)', (preset) => {
  let root: string;
  let modelId: string;
  let dir: string;
  let tokenizer: PreTrainedTokenizer;
  beforeAll(async () => {
    ({ root, modelId, dir } = await forgeCached({ preset, dtypes: ['fp32', 'q8', 'q4', 'fp16'], seed: 1 }));
    useLocal(root);
    tokenizer = await AutoTokenizer.from_pretrained(modelId);
  });

  it('has the transformers.js layout and Hugging Face config fields', () => {
    for (const f of [
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      COMPLETE_MARKER,
    ]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    for (const f of ['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx', 'model_q4.onnx'])
      expect(existsSync(join(dir, 'onnx', f)), f).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const shape = getPreset(preset).shape;
    expect(config).toMatchObject({
      model_type: shape.family,
      architectures: [shape.family === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
      hidden_size: shape.hiddenSize,
      num_hidden_layers: shape.numLayers,
      num_key_value_heads: shape.numKvHeads,
      vocab_size: shape.vocabSize,
      tie_word_embeddings: shape.tieWordEmbeddings,
      eos_token_id: 2,
    });
  });

  it('applies the ChatML chat template and encodes its special tokens as single ids', () => {
    const text = tokenizer.apply_chat_template(CHAT, { tokenize: false, add_generation_prompt: true });
    expect(text).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there, how are you?<|im_end|>\n<|im_start|>assistant\n',
    );
    const ids = Array.from(tokenizer.encode(text as string));
    expect(ids[0]).toBe(1);
    expect(ids.filter((t) => t === 2)).toHaveLength(2);
    // Common English words are single tokens of the generated BPE.
    expect(tokenizer.encode(' the', { add_special_tokens: false })).toHaveLength(1);
    expect(tokenizer.decode(tokenizer.encode('Hello there, how are you?'))).toBe('Hello there, how are you?');
  });

  it.each(['fp32', 'q8', 'q4', 'fp16'] as const)(
    'generates greedily with dtype %s, as the ONNX model computes it',
    async (dtype) => {
      const model = await AutoModelForCausalLM.from_pretrained(modelId, { dtype });
      const text = tokenizer.apply_chat_template(CHAT, {
        tokenize: false,
        add_generation_prompt: true,
      }) as string;
      const inputs = tokenizer(text);
      const prompt = Array.from(inputs.input_ids.data as BigInt64Array, Number);
      const out = (await model.generate({ ...inputs, max_new_tokens: 16, do_sample: false })) as unknown as {
        data: BigInt64Array;
      };
      const generated = Array.from(out.data, Number).slice(prompt.length);
      await model.dispose();
      expect(generated.length).toBeGreaterThan(0);
      // Same tokens as our own KV-cache loop on the same file (stops early only at <|im_end|>).
      const file = join(
        dir,
        'onnx',
        { fp32: 'model.onnx', fp16: 'model_fp16.onnx', q8: 'model_quantized.onnx', q4: 'model_q4.onnx' }[
          dtype
        ],
      );
      const session = await ortNode.InferenceSession.create(file);
      const shape = getPreset(preset).shape;
      const ours = await greedy(
        session,
        ortNode,
        {
          numLayers: shape.numLayers,
          numKvHeads: shape.numKvHeads,
          headDim: shape.hiddenSize / shape.numHeads,
          vocabSize: shape.vocabSize,
        },
        prompt,
        generated.length,
      );
      await session.release();
      expect(generated).toEqual(ours);
      // An untrained model, but not a stuck one: the first tokens are not all the same.
      expect(new Set(generated).size).toBeGreaterThan(3);
    },
  );
});

describe('generated byte-level BPE', () => {
  it('fills a big vocabulary (49152, as SmolLM2 without ../shared), round-trips any text and keeps words whole', async () => {
    const m = await forgeCached({
      preset: 'tiny-llama',
      shape: { vocabSize: 49152 },
      tokenizer: 'bpe',
      dtypes: ['q8'],
      seed: 2,
      modelId: 'petit/tiny-bpe49k',
    });
    useLocal(m.root);
    const tok = await AutoTokenizer.from_pretrained(m.modelId);
    const json = JSON.parse(readFileSync(join(m.dir, 'tokenizer.json'), 'utf8'));
    expect(Object.keys(json.model.vocab)).toHaveLength(49152);
    const text = 'Crème brûlée, naïve café — 日本語 🙂 and the weather today.';
    expect(tok.decode(tok.encode(text, { add_special_tokens: false }))).toBe(text);
    for (const word of [' the', ' weather', ' people', ' today'])
      expect(tok.encode(word, { add_special_tokens: false }), word).toHaveLength(1);
    const model = await AutoModelForCausalLM.from_pretrained(m.modelId, { dtype: 'q8' });
    const out = (await model.generate({
      ...tok('Once upon a time'),
      max_new_tokens: 8,
      do_sample: false,
    })) as unknown as { dims: number[] };
    expect(out.dims[1]).toBeGreaterThan(8);
    await model.dispose();
  });
});

describe('determinism', () => {
  it('the same seed gives byte-identical files, another seed different weights', async () => {
    const opts = { preset: 'tiny-qwen2' as const, dtypes: ['fp32', 'q4'] as const, seed: 5 };
    await forge(join(tmp, 'a'), { ...opts, dtypes: [...opts.dtypes] });
    await forge(join(tmp, 'b'), { ...opts, dtypes: [...opts.dtypes] });
    await forge(join(tmp, 'c'), { ...opts, dtypes: [...opts.dtypes], seed: 6 });
    const [a, b, c] = ['a', 'b', 'c'].map((d) => hashFolder(join(tmp, d)));
    expect(Object.keys(a!)).toContain('onnx/model_q4.onnx');
    expect(b).toEqual(a);
    expect(c!['onnx/model.onnx']).not.toBe(a!['onnx/model.onnx']);
    expect(c!['onnx/model_q4.onnx']).not.toBe(a!['onnx/model_q4.onnx']);
    expect(c!['tokenizer.json']).toBe(a!['tokenizer.json']);
  });
});

describe('forgeCached', () => {
  it('forges only when the completion marker is missing, into a hub-like <root>/<org>/<name>', async () => {
    const cacheRoot = join(tmp, 'cache');
    const opts = { preset: 'tiny-llama' as const, dtypes: ['q4' as const], seed: 9 };
    const first = await forgeCached(opts, { cacheRoot });
    expect(first.forged).toBe(true);
    expect(first.dir).toBe(join(first.root, 'petit', 'tiny-llama'));
    expect(relative(cacheRoot, first.root)).toMatch(/^[0-9a-f]{16}$/);
    const again = await forgeCached(opts, { cacheRoot });
    expect(again).toMatchObject({ dir: first.dir, forged: false });
    expect((await forgeCached({ ...opts, seed: 10 }, { cacheRoot })).root).not.toBe(first.root);
    rmSync(join(first.dir, COMPLETE_MARKER));
    expect((await forgeCached(opts, { cacheRoot })).forged).toBe(true);
    expect(readdirSync(cacheRoot).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('external data', () => {
  it('writes model.onnx + model.onnx_data, declares it in config.json, and transformers.js loads it', async () => {
    const out = join(tmp, 'ext', 'petit', 'tiny-ext');
    await forge(out, {
      preset: 'tiny-llama',
      dtypes: ['fp32'],
      seed: 1,
      externalData: true,
      modelId: 'petit/tiny-ext',
    });
    const onnx = statSync(join(out, 'onnx', 'model.onnx')).size;
    const data = statSync(join(out, 'onnx', 'model.onnx_data')).size;
    expect(data).toBeGreaterThan(10 * onnx);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ use_external_data_format: { 'model.onnx': 1 } });
    useLocal(join(tmp, 'ext'));
    const model = await AutoModelForCausalLM.from_pretrained('petit/tiny-ext', { dtype: 'fp32' });
    const tok = await AutoTokenizer.from_pretrained('petit/tiny-ext');
    const out2 = (await model.generate({
      ...tok('Once upon a time'),
      max_new_tokens: 4,
      do_sample: false,
    })) as unknown as { dims: number[] };
    expect(out2.dims[1]).toBeGreaterThan(4);
    await model.dispose();
  });
});

describe('bad input', () => {
  it('rejects an unknown dtype, preset or tokenizer, and a tokenizer larger than the vocabulary, with typed errors', async () => {
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        expect(err).toBeInstanceOf(ForgeError);
        return (err as ForgeError).code;
      }
      return 'no error';
    };
    const out = join(tmp, 'bad');
    expect(await code(forge(out, { preset: 'tiny-llama', dtypes: ['int3' as 'q4'] }))).toBe('unknown-dtype');
    expect(await code(forge(out, { preset: 'huge' as 'tiny-llama', dtypes: ['fp32'] }))).toBe(
      'unknown-preset',
    );
    expect(
      await code(forge(out, { preset: 'tiny-llama', dtypes: ['fp32'], tokenizer: 'gpt9' as 'bpe' })),
    ).toBe('unknown-tokenizer');
    expect(await code(forge(out, { preset: 'tiny-llama', dtypes: ['fp32'], tokenizer: 'qwen2.5' }))).toBe(
      'tokenizer-too-large',
    );
    expect(await code(forge(out, { preset: 'tiny-llama', dtypes: ['fp32'], shape: { numKvHeads: 3 } }))).toBe(
      'bad-shape',
    );
    expect(existsSync(join(out, COMPLETE_MARKER))).toBe(false);
  });
});

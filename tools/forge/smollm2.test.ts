/**
 * The SmolLM2-135M shape in q4: about the size of the published model_q4.onnx and it generates in Node through
 * transformers.js. Forged once into the forge cache (about 7 s the first time), reused afterwards.
 *
 * Published size: HuggingFaceTB/SmolLM2-135M-Instruct, onnx/model_q4.onnx, listed at 200 MB on the hub's file
 * tree (huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/tree/main/onnx; model.onnx 654 MB, model_fp16.onnx
 * 327 MB, model_q4f16.onnx 134 MB). Ours: 197.8 MB (fp32 embedding 113.2 MB + 4-bit MatMulNBits for all linear
 * layers and the LM head 84.0 MB + norms); the ~2 MB difference is the export's rotary cos/sin caches, which
 * this graph computes from position_ids instead.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeCached, type CachedModel } from './cache.ts';

const PUBLISHED_Q4_BYTES = 200e6;

describe('smollm2-135m preset, q4', () => {
  let m: CachedModel;
  beforeAll(async () => {
    m = await forgeCached({ preset: 'smollm2-135m', dtypes: ['q4'], seed: 1 });
  }, 120_000);

  it('is about the size of the published model_q4.onnx (within 3%)', () => {
    const size = statSync(join(m.dir, 'onnx', 'model_q4.onnx')).size;
    console.log(`model_q4.onnx: ${(size / 1e6).toFixed(1)} MB (published: 200 MB)`);
    expect(Math.abs(size - PUBLISHED_Q4_BYTES) / PUBLISHED_Q4_BYTES).toBeLessThan(0.03);
  });

  it('generates in Node with transformers.js from a chat prompt', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${m.root}/`;
    const tokenizer = await AutoTokenizer.from_pretrained(m.modelId);
    const model = await AutoModelForCausalLM.from_pretrained(m.modelId, { dtype: 'q4' });
    const text = tokenizer.apply_chat_template(
      [{ role: 'user', content: 'What is the capital of France?' }],
      {
        tokenize: false,
        add_generation_prompt: true,
      },
    ) as string;
    expect(text).toContain('<|im_start|>assistant\n');
    const inputs = tokenizer(text);
    const out = (await model.generate({ ...inputs, max_new_tokens: 12, do_sample: false })) as unknown as {
      data: BigInt64Array;
    };
    const generated = Array.from(out.data, Number).slice(inputs.input_ids.dims[1]);
    await model.dispose();
    expect(generated.length).toBeGreaterThan(0);
    expect(generated.every((t) => t >= 0 && t < 49152)).toBe(true);
    expect(new Set(generated).size).toBeGreaterThan(2);
  });
});

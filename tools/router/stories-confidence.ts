/**
 * Runs stories260K (karpathy/llama2.c's 260K-parameter story model, converted by the forge) in Node with
 * onnxruntime-node and records, for each generated token, the log-probability the model gave it: exactly what the
 * app's transformers backend reports with `logprobs: true`. Used to check that the router's confidence signal
 * separates prompts the model knows (children's stories) from prompts it does not (code, maths, French).
 */
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { emptyPast, prefill, step, type DecoderDims } from '../forge/decoder-runner.ts';
import { forgeStories260KCached } from '../forge/llama2c.ts';

export interface StoriesRunner {
  /**
   * Continuation of `prompt`: each new token's log-probability. Greedy with `temperature` 0; otherwise sampled from
   * the temperature-scaled distribution with a seeded generator, and the log-probability is the one of that
   * distribution, as the app's backend records it. Stops at end of text.
   */
  logprobs(
    prompt: string,
    maxNew: number,
    options?: { temperature?: number; seed?: number },
  ): Promise<number[]>;
  /** Log-probability of each prompt token after the first, given the ones before (one forward pass). */
  promptLogprobs(prompt: string): Promise<number[]>;
  release(): Promise<void>;
}

function logSoftmax(logits: Float32Array, start: number, size: number, temperature: number): Float64Array {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (let i = 0; i < size; i++) max = Math.max(max, logits[start + i] / t);
  let sum = 0;
  for (let i = 0; i < size; i++) sum += Math.exp(logits[start + i] / t - max);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = logits[start + i] / t - max - Math.log(sum);
  return out;
}

export async function openStories260K(): Promise<StoriesRunner> {
  const cached = await forgeStories260KCached(['fp32']);
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = `${cached.root}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(cached.modelId);
  const config = (await import(path.join(cached.dir, 'config.json'), { with: { type: 'json' } })).default as {
    num_hidden_layers: number;
    num_key_value_heads: number;
    hidden_size: number;
    num_attention_heads: number;
    vocab_size: number;
  };
  const dims: DecoderDims = {
    numLayers: config.num_hidden_layers,
    numKvHeads: config.num_key_value_heads,
    headDim: config.hidden_size / config.num_attention_heads,
    vocabSize: config.vocab_size,
  };
  const session = await ort.InferenceSession.create(path.join(cached.dir, 'onnx', 'model.onnx'));
  return {
    async logprobs(prompt, maxNew, options = {}) {
      const temperature = options.temperature ?? 0;
      let seed = options.seed ?? 1;
      const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      // The chat template the app sends: BOS, then the message.
      let ids = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as number[];
      let past = emptyPast(ort, dims);
      let pos = 0;
      const out: number[] = [];
      for (let n = 0; n < maxNew; n++) {
        const positions = ids.map((_, j) => pos + j);
        pos += ids.length;
        const r = await step(session, ort, dims, [ids], [positions], [new Array<number>(pos).fill(1)], past);
        const lp = logSoftmax(r.logits, (ids.length - 1) * dims.vocabSize, dims.vocabSize, temperature);
        let next = 0;
        if (temperature > 0) {
          let u = random();
          for (next = 0; next < lp.length - 1; next++) if ((u -= Math.exp(lp[next])) <= 0) break;
        } else for (let i = 1; i < lp.length; i++) if (lp[i] > lp[next]) next = i;
        // BOS or EOS ends the story, as the app's end-of-turn ids do.
        if (next === 1 || next === 2) break;
        out.push(lp[next]);
        past = r.past;
        ids = [next];
      }
      return out;
    },
    async promptLogprobs(prompt) {
      const ids = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as number[];
      const r = await prefill(session, ort, dims, ids);
      const out: number[] = [];
      for (let j = 1; j < ids.length; j++)
        out.push(logSoftmax(r.logits, (j - 1) * dims.vocabSize, dims.vocabSize, 1)[ids[j]]);
      return out;
    },
    release: () => session.release(),
  };
}

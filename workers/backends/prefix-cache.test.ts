/**
 * Prefix caching, checked on real models in Node (onnxruntime-node, fp32): for every way a conversation changes
 * between two requests, greedy output with the cache equals output without it, and the cache was really used where
 * the prompt kept its prefix. The same behaviour in the browser backend is checked end to end in e2e/kv-cache.spec.ts.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  Tensor,
  env,
  type DynamicCache,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgeCached } from '../../tools/forge/cache.ts';
import { NO_REUSE, PrefixCache, tokenIds, truncateSequence, type PrefixReuse } from './prefix-cache.ts';

type Message = { role: 'system' | 'user' | 'assistant'; content: string };

interface Answer {
  text: string;
  ids: number[];
  cachedTokens: number;
}

/** The backend's use of the cache (transformers.backend.ts), without the worker around it. */
async function answer(
  model: PreTrainedModel,
  tokenizer: PreTrainedTokenizer,
  cache: PrefixCache | null,
  messages: Message[],
  maxNewTokens: number,
): Promise<Answer> {
  const inputs = tokenizer.apply_chat_template(messages, {
    add_generation_prompt: true,
    tokenize: true,
    return_dict: true,
  }) as unknown as { input_ids: Tensor; attention_mask: Tensor };
  const promptIds = tokenIds(inputs.input_ids);
  const run = (reuse: PrefixReuse) =>
    model.generate({
      ...inputs,
      ...(reuse.pastKeyValues ? { past_key_values: reuse.pastKeyValues } : {}),
      return_dict_in_generate: cache !== null,
      max_new_tokens: maxNewTokens,
      do_sample: false,
    } as never) as unknown as Promise<{ sequences?: Tensor; past_key_values?: DynamicCache }>;
  const { sequence, cachedTokens } = cache
    ? await cache.generate(promptIds, run)
    : { sequence: tokenIds((await run(NO_REUSE)) as unknown as Tensor), cachedTokens: 0 };
  const ids = sequence.slice(promptIds.length);
  return {
    ids,
    text: tokenizer.decode(ids, { skip_special_tokens: true }),
    cachedTokens,
  };
}

describe('truncateSequence', () => {
  it('keeps the first positions of every head', () => {
    // [batch 1, heads 2, sequence 3, headDim 2]: values encode (head, position, d).
    const data = Float32Array.from([0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121]);
    const cut = truncateSequence(new Tensor('float32', data, [1, 2, 3, 2]), 2);
    expect(cut.dims).toEqual([1, 2, 2, 2]);
    expect(Array.from(cut.data as Float32Array)).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
  });
});

describe('prefix cache: greedy output with reuse equals output without', () => {
  let model: PreTrainedModel;
  let tokenizer: PreTrainedTokenizer;
  const cache = new PrefixCache();

  beforeAll(async () => {
    const forged = await forgeCached({ preset: 'tiny-llama', dtypes: ['fp32'], seed: 7 });
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${forged.root}/`;
    tokenizer = await AutoTokenizer.from_pretrained(forged.modelId);
    model = await AutoModelForCausalLM.from_pretrained(forged.modelId, { dtype: 'fp32', device: 'cpu' });
  }, 120_000);

  /** Asks with the shared cache, then with none, and checks both answers are the same tokens. */
  async function both(messages: Message[], maxNewTokens = 12): Promise<Answer> {
    const reused = await answer(model, tokenizer, cache, messages, maxNewTokens);
    const fresh = await answer(model, tokenizer, null, messages, maxNewTokens);
    expect(reused.ids).toEqual(fresh.ids);
    return reused;
  }

  it('covers the changes a user makes to a conversation', async () => {
    const chat: Message[] = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Tell me about the sea.' },
    ];
    const first = await both(chat);
    expect(first.cachedTokens).toBe(0);

    // The next turn: everything before the new message comes from the cache.
    chat.push({ role: 'assistant', content: first.text }, { role: 'user', content: 'And the mountains?' });
    const second = await both(chat);
    expect(second.cachedTokens).toBeGreaterThan(10);
    chat.push({ role: 'assistant', content: second.text }, { role: 'user', content: 'Which is older?' });
    const third = await both(chat);
    expect(third.cachedTokens).toBeGreaterThan(second.cachedTokens);

    // Regenerating the last answer: the same prompt again.
    const again = await both(chat);
    expect(again.ids).toEqual(third.ids);
    expect(again.cachedTokens).toBeGreaterThan(0);

    // Editing an earlier message: only what comes before it is reused.
    const edited = chat.map((m, i) => (i === 1 ? { ...m, content: 'Tell me about rivers.' } : m));
    const afterEdit = await both(edited);
    expect(afterEdit.cachedTokens).toBeLessThan(third.cachedTokens);

    // Deleting a turn, switching to another conversation and back, another system prompt.
    await both([chat[0], chat[3], chat[4]]);
    await both([{ role: 'user', content: 'A different chat entirely.' }]);
    await both(chat);
    await both([{ role: 'system', content: 'Answer in one word.' }, ...chat.slice(1)]);

    // The oldest turns dropped to fit a context window: the prefix changes right after the system prompt.
    await both([chat[0], ...chat.slice(3)]);
  }, 120_000);

  it('an answer cut short holds only the tokens its stored text stands for', async () => {
    const chat: Message[] = [{ role: 'user', content: 'Count to twenty, slowly.' }];
    const cut = await both(chat, 3);
    // The partial answer as the app stores it, with a further question.
    chat.push({ role: 'assistant', content: cut.text }, { role: 'user', content: 'Go on.' });
    await both(chat);
    // A stop sequence trims the text mid-token: the stored text is shorter than what the model generated.
    chat[1] = { role: 'assistant', content: cut.text.slice(0, Math.max(1, Math.floor(cut.text.length / 2))) };
    await both(chat);
  }, 60_000);

  it('is emptied by clear(), as on unload', async () => {
    await both([{ role: 'user', content: 'Hello there.' }]);
    expect(cache.length).toBeGreaterThan(0);
    await cache.clear();
    expect(cache.length).toBe(0);
    const after = await both([{ role: 'user', content: 'Hello there.' }]);
    expect(after.cachedTokens).toBe(0);
  }, 60_000);

  it('drops a cache over its memory bound instead of keeping it', async () => {
    const small = new PrefixCache(1024);
    await answer(model, tokenizer, small, [{ role: 'user', content: 'Hello there, how are you?' }], 4);
    expect(small.length).toBe(0);
  }, 60_000);
});

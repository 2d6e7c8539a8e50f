import { DynamicCache, Tensor } from '@huggingface/transformers';

/**
 * Prefix caching across requests: the KV cache of the last generation (its prompt and answer) is kept, and a new
 * prompt that starts with the same tokens prefills only what follows them. It is keyed on token ids, never on
 * text, so a conversation that changed anywhere (an edited message, another system prompt, oldest turns dropped to
 * fit the context, an answer cut by a stop string) simply matches a shorter prefix: the output is the same as with
 * no cache, only the work differs.
 */

/** A cache above this many bytes is not kept between requests (it is still used within one). */
export const DEFAULT_MAX_CACHE_BYTES = 256 * 1024 * 1024;

export interface PrefixReuse {
  /** Tokens whose keys and values come from the cache; the model prefills the rest of the prompt. */
  cachedTokens: number;
  /** The cache to hand to `generate()` (`past_key_values`), or null for a full prefill. */
  pastKeyValues: DynamicCache | null;
}

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The ids of a `[1, n]` int64 tensor (a prompt or a generated sequence). */
export function tokenIds(tensor: Tensor): number[] {
  return Array.from(tensor.data as unknown as ArrayLike<bigint>, Number);
}

/** What a request without a cache reuses. */
export const NO_REUSE: PrefixReuse = { cachedTokens: 0, pastKeyValues: null };

function isOnGpu(tensor: Tensor): boolean {
  return (tensor as unknown as { location?: string }).location === 'gpu-buffer';
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, int8: 1, uint8: 1 };

/** From the type, never from `data`: a GPU tensor's data cannot be read without downloading it. */
function tensorBytes(tensor: Tensor): number {
  return tensor.dims.reduce((a, b) => a * b, 1) * (BYTES_PER_ELEMENT[tensor.type] ?? 4);
}

/** Keeps the first `length` positions of a `[batch, heads, sequence, headDim]` key or value tensor. */
export function truncateSequence(tensor: Tensor, length: number): Tensor {
  const [batch, heads, sequence, headDim] = tensor.dims;
  if (length === sequence) return tensor;
  const source = tensor.data as unknown as { subarray(a: number, b: number): ArrayLike<number> } & {
    constructor: new (n: number) => { set(src: ArrayLike<number>, offset: number): void };
  };
  const out = new source.constructor(batch * heads * length * headDim);
  const rows = batch * heads;
  for (let row = 0; row < rows; row++) {
    const from = row * sequence * headDim;
    out.set(source.subarray(from, from + length * headDim), row * length * headDim);
  }
  return new Tensor(tensor.type, out as never, [batch, heads, length, headDim]);
}

/** One cache per loaded model: the backend owns it and drops it on unload, on a failed request and on demand. */
export class PrefixCache {
  private tokens: number[] = [];
  private cache: DynamicCache | null = null;

  constructor(private readonly maxBytes = DEFAULT_MAX_CACHE_BYTES) {}

  /** Tokens currently held (0 when empty). */
  get length(): number {
    return this.cache ? this.tokens.length : 0;
  }

  /**
   * Takes the cache out for a request with these prompt tokens. At least the prompt's last token is always
   * prefilled, because generation needs its logits. What is not reused is freed; `generate()` owns the result
   * until the answer is complete.
   */
  private async take(promptIds: readonly number[]): Promise<PrefixReuse> {
    const cache = this.cache;
    const tokens = this.tokens;
    this.cache = null;
    this.tokens = [];
    if (!cache) return { cachedTokens: 0, pastKeyValues: null };
    const reusable = Math.min(commonPrefixLength(tokens, promptIds), promptIds.length - 1);
    if (reusable <= 0) {
      await cache.dispose();
      return { cachedTokens: 0, pastKeyValues: null };
    }
    if (reusable === tokens.length) return { cachedTokens: reusable, pastKeyValues: cache };
    const entries = Object.entries(cache) as [string, Tensor][];
    if (entries.some(([, tensor]) => isOnGpu(tensor))) {
      // GPU tensors would have to be read back to cut them: cheaper to prefill again.
      await cache.dispose();
      return { cachedTokens: 0, pastKeyValues: null };
    }
    const truncated: Record<string, Tensor> = {};
    for (const [name, tensor] of entries) truncated[name] = truncateSequence(tensor, reusable);
    return { cachedTokens: reusable, pastKeyValues: new DynamicCache(truncated) };
  }

  /**
   * Keeps the cache a generation returned. `sequence` is every token the model saw or produced; the cache holds
   * keys and values for all of them but the last (sampled, never fed back). Anything inconsistent is dropped.
   */
  private async keep(sequence: readonly number[], cache: DynamicCache | null | undefined): Promise<void> {
    await this.clear();
    if (!cache) return;
    const cachedLength = Object.keys(cache).length > 0 ? cache.get_seq_length() : 0;
    const bytes = (Object.values(cache) as Tensor[]).reduce((sum, t) => sum + tensorBytes(t), 0);
    if (cachedLength !== sequence.length - 1 || cachedLength === 0 || bytes > this.maxBytes) {
      await cache.dispose();
      return;
    }
    this.tokens = sequence.slice(0, cachedLength);
    this.cache = cache;
  }

  /**
   * One generation with the cache: takes what `promptIds` can reuse, hands it to `run` (which calls
   * `model.generate()` with it as `past_key_values` and `return_dict_in_generate: true`), keeps the cache the
   * answer leaves, and frees the taken one if `run` throws (a half-updated cache matches no tokens).
   */
  async generate(
    promptIds: readonly number[],
    run: (reuse: PrefixReuse) => Promise<{ sequences?: Tensor; past_key_values?: DynamicCache }>,
  ): Promise<{ sequence: number[]; cachedTokens: number }> {
    const reuse = await this.take(promptIds);
    let result: { sequences?: Tensor; past_key_values?: DynamicCache };
    try {
      result = await run(reuse);
    } catch (error) {
      await reuse.pastKeyValues?.dispose().catch(() => {});
      throw error;
    }
    const sequence = result.sequences ? tokenIds(result.sequences) : [];
    await this.keep(sequence, result.past_key_values);
    return { sequence, cachedTokens: reuse.cachedTokens };
  }

  async clear(): Promise<void> {
    const cache = this.cache;
    this.cache = null;
    this.tokens = [];
    await cache?.dispose();
  }
}

/**
 * How long a generating worker may go without answering a ping before the engine replaces it. The worker
 * cannot answer while one forward pass runs, and before the first token that pass is the whole prompt: a
 * 2048-token prefill on a slow 2-core device took well over 30 s (BENCHMARKS.md). So the limit grows with the
 * prompt until the first token arrives; after that each pass is one token and the base limit applies.
 */

/** Prompts up to this many tokens prefill within the base limit on any device Petit runs on. */
const FREE_PROMPT_TOKENS = 256;
/** Allowance per further prompt token: 10 tokens/s, slower than the slowest prefill measured here. */
const MS_PER_PROMPT_TOKEN = 100;
/** Characters per token, low on purpose (a text in another script or code has more tokens per character). */
const CHARS_PER_TOKEN = 3;

export function hangLimitBeforeFirstToken(baseMs: number, promptChars: number, capMs: number): number {
  const tokens = Math.ceil(promptChars / CHARS_PER_TOKEN);
  const extra = Math.max(0, tokens - FREE_PROMPT_TOKENS) * MS_PER_PROMPT_TOKEN;
  return Math.max(baseMs, Math.min(baseMs + extra, capMs));
}

import { LogitsProcessor, type Tensor } from '@huggingface/transformers';

/** Log-probabilities from transformers.js logits: of each generated token, and of the prompt's last tokens. */

/** log Σ exp over `length` logits from `start`: the normaliser of a log-softmax, computed without overflow. */
function logSumExp(data: Float32Array, start: number, length: number): number {
  let max = -Infinity;
  for (let i = start; i < start + length; i++) if (data[i] > max) max = data[i];
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += Math.exp(data[i] - max);
  return max + Math.log(sum);
}

/** Records the log-probability distribution the next token is drawn from. */
export class LogprobRecorder extends LogitsProcessor {
  last: Float32Array | null = null;
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const data = logits.data as Float32Array;
    const logZ = logSumExp(data, 0, data.length);
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] - logZ;
    this.last = out;
    return logits;
  }
}

/** Prompt positions scored at most (the request's end, where the user's new words are): bounds the cost. */
export const PROMPT_LOGPROB_POSITIONS = 256;

/**
 * Mean log-probability of the prompt's last tokens: logits position j predicts the token after it. The pass
 * returns logits for the last positions it read (all of them, or fewer where the graph keeps only the last k),
 * so they end at the prompt's end. Null when it returned only the last position's logits.
 */
export function meanPromptLogprob(
  logits: Tensor,
  promptIds: readonly number[],
): { mean: number; tokens: number } | null {
  const [, positions, vocab] = logits.dims;
  if (!positions || !vocab || positions < 2 || (logits as { location?: string }).location === 'gpu-buffer')
    return null;
  const data = logits.data as Float32Array;
  const start = promptIds.length - positions;
  let sum = 0;
  let count = 0;
  for (let j = Math.max(0, positions - 1 - PROMPT_LOGPROB_POSITIONS); j < positions - 1; j++) {
    const next = promptIds[start + j + 1];
    if (next === undefined) break;
    const row = j * vocab;
    sum += data[row + next] - logSumExp(data, row, vocab);
    count++;
  }
  return count > 0 ? { mean: sum / count, tokens: count } : null;
}

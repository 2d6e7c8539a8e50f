/**
 * The local answer's confidence as a router term: how sure the model was of its answer's opening tokens, and how
 * familiar the prompt looked to it (see router.ts; calibrated on stories260K, tools/router/stories-confidence.test.ts).
 */
import { reason } from './reason-text.ts';
import type { LocalConfidence, RouterReason } from './router.ts';

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The opening of an answer: long enough to average a few tokens, short enough to come before a model drifts. */
const OPENING_TOKENS = 16;

/**
 * Turns the backend's per-token log-probabilities into the router's confidence signal. Only the chosen token's
 * probability is reported by the backends, so the "entropy-like" measure is the share of unsure tokens.
 */
export function confidenceFromLogprobs(logprobs: readonly number[]): LocalConfidence | undefined {
  const finite = logprobs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return undefined;
  const meanLogprob = finite.reduce((s, x) => s + x, 0) / finite.length;
  const unsureShare = finite.filter((x) => x < Math.log(0.1)).length / finite.length;
  const opening = finite.slice(0, OPENING_TOKENS);
  const openingLogprob = opening.reduce((s, x) => s + x, 0) / opening.length;
  return { meanLogprob, openingLogprob, unsureShare, tokens: finite.length };
}

/**
 * How unsure the local answer was, as one number: higher is less sure. The mean negative log-probability of the
 * answer's opening (its first 16 tokens), plus the share of tokens under 10 % (scaled to the same range). On
 * stories260K the opening separated known from unknown prompts better than the whole answer (AUC 0.83 against 0.79
 * over 64 tokens, on 24 prompts other than the test's). Used by the router and by the AUC test.
 */
export function uncertainty(c: LocalConfidence): number | null {
  if (c.meanLogprob === undefined && c.meanEntropy === undefined && c.promptLogprob === undefined)
    return null;
  const lp = c.openingLogprob ?? c.meanLogprob;
  const nll = lp !== undefined ? -lp : (c.meanEntropy ?? 0) * 0.8;
  return nll + 2 * (c.unsureShare ?? 0) + unfamiliarity(c);
}

// A prompt whose tokens average under e^-4.5 (about 1 %) looks unfamiliar to the model.
const PROMPT_PIVOT = 4.5;

/** How unfamiliar the prompt looked to the model, 0 when familiar or unknown. */
function unfamiliarity(c: LocalConfidence): number {
  return c.promptLogprob === undefined ? 0 : Math.max(0, -c.promptLogprob - PROMPT_PIVOT) * 0.5;
}

// Calibrated so that an answer with a mean token probability of about 30 % (uncertainty ≈ 1.6) adds nothing,
// and one under 10 % adds enough to escalate an everyday request on its own.
const CONFIDENCE_PIVOT = 1.6;
const CONFIDENCE_SLOPE = 1.6;

export function confidenceTerm(c: LocalConfidence | undefined): RouterReason | null {
  if (!c || (c.tokens !== undefined && c.tokens < 3 && c.promptLogprob === undefined)) return null;
  const u = uncertainty(c);
  if (u === null) return null;
  const w = round2(Math.max(-0.5, Math.min(3, (u - CONFIDENCE_PIVOT) * CONFIDENCE_SLOPE)));
  if (Math.abs(w) < 0.05) return null;
  const lp = c.openingLogprob ?? c.meanLogprob;
  // Rounded as it is shown, so that the English sentence and the UI agree.
  const probability = lp !== undefined ? Math.round(Math.exp(lp) * 100) / 100 : undefined;
  if (w > 0 && unfamiliarity(c) * CONFIDENCE_SLOPE >= w / 2) return reason('low-confidence', w, 'unfamiliar');
  if (w > 0)
    return probability !== undefined
      ? reason('low-confidence', w, undefined, { probability })
      : reason('low-confidence', w, 'low-confidence-entropy', { entropy: c.meanEntropy ?? 0 });
  return probability !== undefined
    ? reason('confident-answer', w, undefined, { probability })
    : reason('confident-answer', w, 'confident-answer-plain');
}

/**
 * Learning from this user, on this device: "Not good enough — ask the large model" and "This answer was fine" are
 * labels for the request just answered. Each one is a step of online logistic regression on that request's
 * features, added to the shipped weights (router.ts sums them). Requests like the corrected one move; others
 * barely do. Nothing leaves the device; the weights are stored in IndexedDB and go in the JSON export.
 */
import { FEATURE_IDS, type FeatureId } from './router-features.ts';
import type { RouteDecision, UserRouterWeights } from './router.ts';
import { currentLanguage } from '../i18n/index.ts';
import { escalationText } from './reason-text.ts';

export type Feedback = 'needs-large' | 'fine';

/** Step size: about ten consistent corrections move a typical request across the threshold. */
export const USER_LEARNING_RATE = 0.5;
/** The bias moves much less than the features, so one kind of correction does not shift every request. */
const BIAS_RATE = 0.05;
/** No single adjustment may outweigh what was learned from the whole training set by far. */
const LIMIT = 4;

export function emptyUserWeights(): UserRouterWeights {
  return { bias: 0, weights: {}, corrections: { needsLarge: 0, fine: 0 } };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const clamp = (x: number) => Math.max(-LIMIT, Math.min(LIMIT, x));

/**
 * One correction. `decision` is the router's decision for the request that was answered (its features and score,
 * this user's weights included), computed without the user's button.
 */
export function learnFromFeedback(
  user: UserRouterWeights,
  decision: Pick<RouteDecision, 'features' | 'score' | 'threshold'>,
  feedback: Feedback,
): UserRouterWeights {
  const y = feedback === 'needs-large' ? 1 : 0;
  const error = y - sigmoid(decision.score - decision.threshold);
  const weights = { ...user.weights };
  for (const id of FEATURE_IDS) {
    const x = decision.features[id];
    if (x === 0) continue;
    const next = clamp((weights[id] ?? 0) + USER_LEARNING_RATE * error * x);
    if (Math.abs(next) < 1e-4) delete weights[id];
    else weights[id] = Math.round(next * 1e4) / 1e4;
  }
  return {
    bias: Math.round(clamp(user.bias + BIAS_RATE * error) * 1e4) / 1e4,
    weights,
    corrections: {
      needsLarge: user.corrections.needsLarge + y,
      fine: user.corrections.fine + (1 - y),
    },
  };
}

export interface LearnedAdjustment {
  feature: FeatureId;
  weight: number;
}

/** What this user's corrections changed, largest first (worded by learnedText). */
export function describeUserWeights(user: UserRouterWeights): LearnedAdjustment[] {
  return FEATURE_IDS.filter((id) => Math.abs(user.weights[id] ?? 0) >= 0.05)
    .map((id) => ({ feature: id, weight: user.weights[id]! }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
}

/** In words, in the current language: which requests, and which way they moved. */
export function learnedText(a: LearnedAdjustment, language = currentLanguage()): string {
  return escalationText(
    {
      key: 'savings.learned',
      params: {
        feature: escalationText({ key: `features.${a.feature}` }, language),
        direction: a.weight > 0 ? 'large' : 'local',
        weight: a.weight,
      },
    },
    language,
  );
}

/** Checks stored or imported weights; returns null with the reason when they are not valid. */
export function checkUserWeights(
  value: unknown,
): { ok: true; value: UserRouterWeights } | { ok: false; why: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, why: 'must be an object' };
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!['bias', 'weights', 'corrections'].includes(key))
      return { ok: false, why: `has an unknown field "${key}"` };
  if (typeof v.bias !== 'number' || !Number.isFinite(v.bias))
    return { ok: false, why: '"bias" must be a number' };
  const w = v.weights;
  if (typeof w !== 'object' || w === null || Array.isArray(w))
    return { ok: false, why: '"weights" must be an object' };
  const weights: Partial<Record<FeatureId, number>> = {};
  for (const [id, x] of Object.entries(w)) {
    if (!(FEATURE_IDS as string[]).includes(id))
      return { ok: false, why: `"weights" names an unknown feature "${id}"` };
    if (typeof x !== 'number' || !Number.isFinite(x))
      return { ok: false, why: `"weights.${id}" must be a number` };
    weights[id as FeatureId] = clamp(x);
  }
  const c = v.corrections as Record<string, unknown> | null;
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (typeof c !== 'object' || c === null || !count(c.needsLarge) || !count(c.fine))
    return { ok: false, why: '"corrections" must hold two whole numbers, needsLarge and fine' };
  return {
    ok: true,
    value: {
      bias: clamp(v.bias),
      weights,
      corrections: { needsLarge: c.needsLarge as number, fine: c.fine as number },
    },
  };
}

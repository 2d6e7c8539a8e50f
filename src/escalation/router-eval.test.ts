/**
 * The router on its evaluation set (router-eval-set-2.json): prompts written after the router was frozen, never used
 * to fit or tune it. The floors are the figures first measured, rounded down: a change that makes the router worse
 * on unseen prompts fails here. (A change made after looking at these prompts would make them seen: say so, and
 * write a new set, as was done once: router-eval-set.json measured v1 and was read to make v2.)
 */
import { describe, expect, it } from 'vitest';
import {
  EVAL_MODELS,
  EVAL_SET,
  EVAL_SET_1,
  EVAL_SET_BLIND,
  evaluateRouter,
} from '../../tools/router/evaluation.ts';
import { TRAINING_SET, messagesOf } from '../../tools/router/dataset.ts';
import { auditCues } from '../../tools/router/keyword-audit.ts';
import { estimateTokens } from './pricing.ts';
import { FEATURE_IDS, extractFeatures, featureContext } from './router-features.ts';

describe('router on the evaluation set', () => {
  it('has at least 300 prompts, half not in English, none from the training set or the first evaluation set', () => {
    expect(EVAL_SET.length).toBeGreaterThanOrEqual(300);
    expect(EVAL_SET.filter((i) => i.language !== 'en').length).toBeGreaterThanOrEqual(EVAL_SET.length / 2);
    const seen = new Set([...TRAINING_SET, ...EVAL_SET_1].map((i) => i.prompt.trim().toLowerCase()));
    expect(EVAL_SET.filter((i) => seen.has(i.prompt.trim().toLowerCase()))).toEqual([]);
  });

  it('reaches the measured accuracy, precision and recall overall and in each language', () => {
    const r = evaluateRouter(EVAL_SET, EVAL_MODELS);
    for (const [name, s] of Object.entries(r.byLanguage).concat([['all', r.overall]]))
      console.log(
        `router eval ${name}: n=${s.n} accuracy=${s.accuracy.toFixed(3)} precision=${s.precision.toFixed(3)} recall=${s.recall.toFixed(3)}`,
      );
    expect(r.overall.accuracy).toBeGreaterThanOrEqual(0.87);
    expect(r.overall.precision).toBeGreaterThanOrEqual(0.92);
    expect(r.overall.recall).toBeGreaterThanOrEqual(0.84);
    for (const lang of ['en', 'fr', 'es', 'de']) {
      expect(r.byLanguage[lang].accuracy, lang).toBeGreaterThanOrEqual(0.85);
      expect(r.byLanguage[lang].recall, lang).toBeGreaterThanOrEqual(0.82);
    }
  });

  it('on the set written blind to it (set 3, by a helper that never read the router), reaches what it first scored', () => {
    expect(EVAL_SET_BLIND.length).toBeGreaterThanOrEqual(400);
    expect(EVAL_SET_BLIND.filter((i) => i.language !== 'en').length).toBeGreaterThan(
      EVAL_SET_BLIND.length / 2,
    );
    const seen = new Set(
      [...TRAINING_SET, ...EVAL_SET_1, ...EVAL_SET].map((i) => i.prompt.trim().toLowerCase()),
    );
    expect(EVAL_SET_BLIND.filter((i) => seen.has(i.prompt.trim().toLowerCase()))).toEqual([]);
    const r = evaluateRouter(EVAL_SET_BLIND, EVAL_MODELS);
    for (const [name, s] of Object.entries(r.byLanguage).concat([['all', r.overall]]))
      console.log(
        `router blind set ${name}: n=${s.n} accuracy=${s.accuracy.toFixed(3)} precision=${s.precision.toFixed(3)} recall=${s.recall.toFixed(3)}`,
      );
    // First measured 2026-12-03: accuracy 0.912, precision 0.918, recall 0.889 (es the weakest: 0.851).
    expect(r.overall.accuracy).toBeGreaterThanOrEqual(0.91);
    expect(r.overall.recall).toBeGreaterThanOrEqual(0.88);
    for (const lang of ['en', 'fr', 'es', 'de'])
      expect(r.byLanguage[lang].accuracy, lang).toBeGreaterThanOrEqual(0.85);
  });

  it('decides from features each seen on several training prompts (the rarest, several-questions, on 3), not from words tied to a few prompts', () => {
    const vectors = TRAINING_SET.map((item) => {
      const text = messagesOf(item)[0].content;
      return extractFeatures(featureContext(text, estimateTokens(text)));
    });
    for (const id of FEATURE_IDS)
      expect(vectors.filter((v) => v[id] > 0).length, id).toBeGreaterThanOrEqual(3);
    // Cue words are generic vocabulary written before the evaluation set existed; report how many of them the
    // training prompts never exercise (tools/router/keyword-audit.ts lists them).
    const audit = auditCues();
    const evalOnly = audit.filter((a) => a.evaluation > 0 && a.training === 0);
    console.log(`cue words: ${audit.length}; matching evaluation prompts only: ${evalOnly.length}`);
    expect(audit.length).toBeGreaterThan(1000);
  });
});

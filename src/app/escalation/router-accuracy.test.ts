import { describe, expect, it } from 'vitest';
import { EVAL_MODELS, EVAL_SET, evaluateRouter } from '../../../tools/router/evaluation.ts';
import { ROUTER_ACCURACY, ROUTER_ACCURACY_TEXT } from './router-accuracy.ts';

describe('the router accuracy the app shows', () => {
  it('is the accuracy measured now on the evaluation set the router was never tuned on', () => {
    const { overall } = evaluateRouter(EVAL_SET, EVAL_MODELS);
    expect(overall.n).toBe(ROUTER_ACCURACY.n);
    expect(overall.accuracy.toFixed(3)).toBe(ROUTER_ACCURACY.accuracy.toFixed(3));
    expect(overall.precision.toFixed(3)).toBe(ROUTER_ACCURACY.precision.toFixed(3));
    expect(overall.recall.toFixed(3)).toBe(ROUTER_ACCURACY.recall.toFixed(3));
    expect(ROUTER_ACCURACY_TEXT).toContain('87 % of 322 test prompts');
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { EVAL_MODELS, EVAL_SET, evaluateRouter } from '../../../tools/router/evaluation.ts';
import { initI18n, setLanguage } from '../../i18n/index.ts';
import { ROUTER_ACCURACY, routerAccuracyText } from './router-accuracy.ts';

describe('the router accuracy the app shows', () => {
  afterAll(() => setLanguage('en'));

  it('is the accuracy measured now on the evaluation set the router was never tuned on', () => {
    const { overall } = evaluateRouter(EVAL_SET, EVAL_MODELS);
    expect(overall.n).toBe(ROUTER_ACCURACY.n);
    expect(overall.accuracy.toFixed(3)).toBe(ROUTER_ACCURACY.accuracy.toFixed(3));
    expect(overall.precision.toFixed(3)).toBe(ROUTER_ACCURACY.precision.toFixed(3));
    expect(overall.recall.toFixed(3)).toBe(ROUTER_ACCURACY.recall.toFixed(3));
  });

  it('is stated in the language of the moment, with the unseen-prompt figure only', async () => {
    await initI18n('en');
    expect(routerAccuracyText()).toContain('87% of 322 test prompts');
    expect(routerAccuracyText()).toContain('never used to tune it');
    await setLanguage('fr');
    // French writes a no-break space before %.
    expect(routerAccuracyText().replace(/\s/g, ' ')).toContain('87 % de 322 demandes de test');
  });
});

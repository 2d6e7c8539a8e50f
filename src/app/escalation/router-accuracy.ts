import { escalationText } from '../../escalation/reason-text.ts';

/**
 * The router's measured accuracy, shown beside its suggestions so a user can weigh them. Measured on
 * src/escalation/router-eval-set-2.json: 322 prompts in English, French, Spanish and German, written after the
 * router was frozen and never used to fit or tune it (tools/router/evaluate-router.ts); the lower of its two
 * figures on unseen prompts (the blind set 3 gives 0.912). router-accuracy.test.ts recomputes it, so the figure
 * shown cannot drift from the router. Never the figure on the prompts it was fitted on.
 */
export const ROUTER_ACCURACY = { n: 322, accuracy: 0.873, precision: 0.921, recall: 0.844 } as const;

/** The sentence, in the current language (call it when rendering). */
export function routerAccuracyText(): string {
  return escalationText({
    key: 'accuracy',
    params: { percent: ROUTER_ACCURACY.accuracy, count: ROUTER_ACCURACY.n },
  });
}

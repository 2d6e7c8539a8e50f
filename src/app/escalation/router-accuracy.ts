/**
 * The router's measured accuracy, shown beside its suggestions so a user can weigh them. Measured on the held-out
 * half of src/escalation/router-dataset.json (prompts the rules were not tuned on); router-accuracy.test.ts
 * recomputes it, so the figure shown cannot drift from the router.
 */
export const ROUTER_ACCURACY = { split: 'holdout', n: 172, accuracy: 0.953 } as const;

export const ROUTER_ACCURACY_TEXT = `Petit's router agrees with people's labels on ${Math.round(
  ROUTER_ACCURACY.accuracy * 100,
)} % of ${ROUTER_ACCURACY.n} test prompts it was not tuned on: it can be wrong, and you decide.`;

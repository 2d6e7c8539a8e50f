/**
 * Measures the frozen router on its evaluation set (src/escalation/router-eval-set-2.json), which it was never fitted
 * or tuned on: accuracy, and precision and recall of "needs a large model", overall and per language.
 *
 *   npx tsx tools/router/evaluate-router.ts            # the table
 *   npx tsx tools/router/evaluate-router.ts --errors   # and every wrong decision
 *   npx tsx tools/router/evaluate-router.ts --first-set  # on the first set (measured v1; seen since)
 *   npx tsx tools/router/evaluate-router.ts --blind      # on the set written blind to the router (set 3)
 */
import { EVAL_MODELS, EVAL_SET, EVAL_SET_1, EVAL_SET_BLIND, evaluateRouter } from './evaluation.ts';

const set = process.argv.includes('--first-set')
  ? EVAL_SET_1
  : process.argv.includes('--blind')
    ? EVAL_SET_BLIND
    : EVAL_SET;
const result = evaluateRouter(set, EVAL_MODELS);
const fmt = (x: number) => x.toFixed(3);
console.log('| set | n | accuracy | precision | recall |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, s] of Object.entries(result.byLanguage).concat([['all', result.overall]]))
  console.log(`| ${name} | ${s.n} | ${fmt(s.accuracy)} | ${fmt(s.precision)} | ${fmt(s.recall)} |`);
if (process.argv.includes('--errors'))
  for (const w of result.wrong)
    console.log(
      `${w.item.label} ${w.score} [${w.item.language}] ${w.reasons} | ${w.item.prompt.slice(0, 120).replace(/\n/g, ' ')}`,
    );

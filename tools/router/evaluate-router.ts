/**
 * Measures the frozen router on the evaluation set (src/escalation/router-eval-set.json), which it was never fitted
 * or tuned on: accuracy, and precision and recall of "needs a large model", overall and per language.
 *
 *   npx tsx tools/router/evaluate-router.ts            # the table
 *   npx tsx tools/router/evaluate-router.ts --errors   # and every wrong decision
 */
import { EVAL_MODELS, EVAL_SET, evaluateRouter } from './evaluation.ts';

const result = evaluateRouter(EVAL_SET, EVAL_MODELS);
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

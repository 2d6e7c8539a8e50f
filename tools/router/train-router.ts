/**
 * Fits the router's weights: L2-regularised logistic regression over the features of router-features.ts, on the
 * training set (src/escalation/router-dataset.json) only, and writes src/escalation/router-weights.json.
 *
 *   npx tsx tools/router/train-router.ts            # fit on all training items and write the weights
 *   npx tsx tools/router/train-router.ts --check    # fit on the tune half, print scores on the other half
 *
 * The evaluation set (router-eval-set.json) is never read here.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { estimateTokens } from '../../src/escalation/pricing.ts';
import { FEATURE_IDS, extractFeatures, featureContext } from '../../src/escalation/router-features.ts';
import { TRAINING_SET, messagesOf, score, type LabelledPrompt } from './dataset.ts';

const L2 = Number(process.env.ROUTER_L2 ?? 0.003);
const EPOCHS = 4000;
const RATE = 0.5;

function vectorOf(item: LabelledPrompt): number[] {
  const text = messagesOf(item)[0].content;
  const f = extractFeatures(featureContext(text, estimateTokens(text)));
  return FEATURE_IDS.map((id) => f[id]);
}

function fit(items: LabelledPrompt[]): { bias: number; w: number[] } {
  const X = items.map(vectorOf);
  const y = items.map((i) => (i.label === 'remote' ? 1 : 0));
  // Balanced classes: each label weighs half of the loss.
  const pos = y.filter(Boolean).length;
  const cw = y.map((v) => (v ? items.length / (2 * pos) : items.length / (2 * (items.length - pos))));
  const w = new Array<number>(FEATURE_IDS.length).fill(0);
  let bias = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw = w.map((wi) => L2 * wi);
    let gb = 0;
    for (let i = 0; i < X.length; i++) {
      let z = bias;
      for (let j = 0; j < w.length; j++) z += w[j] * X[i][j];
      const err = (1 / (1 + Math.exp(-z)) - y[i]) * cw[i];
      gb += err / X.length;
      for (let j = 0; j < w.length; j++) gw[j] += (err * X[i][j]) / X.length;
    }
    bias -= RATE * gb;
    for (let j = 0; j < w.length; j++) w[j] -= RATE * gw[j];
  }
  return { bias, w };
}

function evaluate(model: { bias: number; w: number[] }, items: LabelledPrompt[], threshold: number) {
  return score(
    items.map((item) => {
      const x = vectorOf(item);
      const z = model.bias + x.reduce((s, v, j) => s + v * model.w[j], 0);
      return { label: item.label, predicted: z >= threshold ? 'remote' : 'local' };
    }),
  );
}

// Below 0 on purpose: a missed escalation costs the user more than a suggestion they can ignore.
const THRESHOLD = Number(process.env.ROUTER_THRESHOLD ?? -0.25);
const fmt = (s: ReturnType<typeof score>) =>
  `n=${s.n} accuracy=${s.accuracy.toFixed(3)} precision=${s.precision.toFixed(3)} recall=${s.recall.toFixed(3)}`;

if (process.argv.includes('--check')) {
  const tune = TRAINING_SET.filter((i) => i.split === 'tune');
  const other = TRAINING_SET.filter((i) => i.split !== 'tune');
  const m = fit(tune);
  console.log(`fit on tune half: tune ${fmt(evaluate(m, tune, THRESHOLD))}`);
  console.log(`               other half ${fmt(evaluate(m, other, THRESHOLD))}`);
  for (const lang of ['en', 'fr', 'es', 'de'])
    console.log(
      `  other half ${lang}: ${fmt(
        evaluate(
          m,
          other.filter((i) => i.language === lang),
          THRESHOLD,
        ),
      )}`,
    );
} else {
  const m = fit(TRAINING_SET);
  const weights = Object.fromEntries(FEATURE_IDS.map((id, j) => [id, Math.round(m.w[j] * 1000) / 1000]));
  const out = {
    description:
      'Weights of the router (src/escalation/router.ts), fitted by tools/router/train-router.ts on router-dataset.json only: logistic regression, L2, balanced classes. Regenerate, do not edit.',
    trainedOn: { items: TRAINING_SET.length, file: 'src/escalation/router-dataset.json' },
    threshold: THRESHOLD,
    bias: Math.round(m.bias * 1000) / 1000,
    weights,
  };
  const file = path.resolve(import.meta.dirname, '../../src/escalation/router-weights.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`training set ${fmt(evaluate(m, TRAINING_SET, THRESHOLD))}`);
  console.log(
    Object.entries(weights)
      .map(([k, v]) => `${k} ${v}`)
      .join('\n'),
  );
  console.log(`wrote ${file}`);
  if (process.argv.includes('--errors'))
    for (const item of TRAINING_SET) {
      const x = vectorOf(item);
      const z = m.bias + x.reduce((s, v, j) => s + v * m.w[j], 0);
      if ((z >= THRESHOLD ? 'remote' : 'local') !== item.label)
        console.log(
          `${item.label} ${z.toFixed(2)} [${item.language}] ${item.prompt.slice(0, 110).replace(/\n/g, ' ')}`,
        );
    }
}

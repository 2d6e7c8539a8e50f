/**
 * The router's strongest confidence signal, end to end in Chromium: with `logprobs: true` the transformers.js
 * backend reports how familiar the prompt looked to the model (`usage.extra.prompt_logprob`). On stories260K, a
 * real model trained only on children's stories, it must separate story prompts from code, maths and French;
 * the separation is printed as an AUC.
 */
import { expect, test } from './fixtures.ts';
import { HUB_URL, STORIES_MODEL } from './env.ts';
import { STORIES_SKIP_REASON, storiesAvailable } from './stories.ts';

type Petit = import('../src/index.ts').PetitEngine;

const STORIES = [
  'Tom had a red ball. He liked to play with it in the garden.',
  'One day, a little bird flew into the house and sat on the table.',
  'Mia and her mom went to the park. They saw a big tree.',
  'The cat was sleepy. It found a warm spot near the window.',
  'Ben wanted to help his dad. He carried the small box to the car.',
  'Once there was a happy frog who loved to jump in the pond.',
  'Lucy found a shiny stone. She showed it to her friend Sam.',
  'The dog ran after the ball and brought it back to the boy.',
];
const STRANGERS = [
  'def parse(xs): return [int(x) for x in xs.split(",") if x.strip()]',
  'SELECT name, COUNT(*) FROM orders GROUP BY name HAVING COUNT(*) > 3;',
  'Compute the integral of x^2 * ln(x) dx from 1 to e.',
  'Solve 3x + 7 = 22 and 5y - 2x = 11 for x and y.',
  'Quelle est la différence entre un contrat à durée déterminée et un CDI ?',
  'Pourriez-vous résumer la réunion de jeudi et envoyer le compte rendu ?',
  'const total = items.reduce((sum, item) => sum + item.price * item.qty, 0);',
  'Let f(n) = n^3 - n. Prove that 6 divides f(n) for every integer n.',
];

/** The chance that a random stranger prompt looks less familiar than a random story prompt (ties count half). */
function auc(known: number[], unknown: number[]): number {
  let wins = 0;
  for (const u of unknown) for (const k of known) wins += u < k ? 1 : u === k ? 0.5 : 0;
  return wins / (known.length * unknown.length);
}

test('prompt log-probabilities separate what stories260K knows from what it does not', async ({ page }) => {
  test.skip(!storiesAvailable(), STORIES_SKIP_REASON);
  await page.goto('/api.html');
  await expect(page.locator('#state')).toContainText('Ready');
  const result = await page.evaluate(
    async ({ model, hub, stories, strangers }) => {
      const petit = (window as unknown as { petit: Petit }).petit;
      await petit.load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub });
      const familiarity = async (content: string) => {
        const reply = await petit.chat.completions.create({
          messages: [{ role: 'user', content }],
          max_tokens: 4,
          temperature: 0,
          logprobs: true,
        });
        return reply.usage.extra.prompt_logprob ?? null;
      };
      const known = [];
      for (const p of stories) known.push(await familiarity(p));
      const unknown = [];
      for (const p of strangers) unknown.push(await familiarity(p));
      // With the KV cache, a follow-up scores only the tokens it adds.
      const first = await petit.chat.completions.create({
        messages: [{ role: 'user', content: stories[0] }],
        max_tokens: 8,
        temperature: 0,
        logprobs: true,
      });
      const followUp = await petit.chat.completions.create({
        messages: [
          { role: 'user', content: stories[0] },
          { role: 'assistant', content: first.choices[0].message.content },
          { role: 'user', content: strangers[0] },
        ],
        max_tokens: 4,
        temperature: 0,
        logprobs: true,
      });
      const without = await petit.chat.completions.create({
        messages: [{ role: 'user', content: stories[0] }],
        max_tokens: 4,
        temperature: 0,
      });
      return {
        known,
        unknown,
        followUp: { usage: followUp.usage },
        withoutLogprobs: without.usage.extra.prompt_logprob ?? null,
      };
    },
    { model: STORIES_MODEL, hub: HUB_URL, stories: STORIES, strangers: STRANGERS },
  );
  const known = result.known.map((x) => x!.mean);
  const unknown = result.unknown.map((x) => x!.mean);
  const separation = auc(known, unknown);
  console.log(
    `stories260K prompt familiarity in Chromium: stories ${known.map((x) => x.toFixed(2)).join(', ')}; ` +
      `code/maths/French ${unknown.map((x) => x.toFixed(2)).join(', ')}; AUC ${separation.toFixed(3)}`,
  );
  expect(separation).toBeGreaterThanOrEqual(0.9);

  const { usage } = result.followUp;
  expect(usage.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
  expect(usage.extra.prompt_logprob!.tokens).toBeLessThan(usage.prompt_tokens - 1);
  expect(usage.extra.prompt_logprob!.tokens).toBeGreaterThan(0);
  expect(result.withoutLogprobs).toBeNull();
});

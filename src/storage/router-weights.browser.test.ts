import { describe, expect, test } from 'vitest';
import { isPetitError } from '../engine/errors.ts';
import { route } from '../escalation/router.ts';
import { emptyUserWeights, learnFromFeedback } from '../escalation/router-user-weights.ts';
import { fresh } from './fresh-storage.test-helper.ts';

function someLearning() {
  const models = [{ id: 'm', parameters: 135e6, contextLength: 8192, goodFor: [] }];
  let w = emptyUserWeights();
  for (const text of [
    'Write a Python function that adds two numbers.',
    'Write a bash script that lists files.',
  ])
    w = learnFromFeedback(
      w,
      route({ messages: [{ role: 'user', content: text }], localModels: models }),
      'fine',
    );
  return w;
}

describe('router weights learned from the user, in IndexedDB', () => {
  test('are kept across connections, and reset forgets them', async () => {
    const a = await fresh();
    expect(await a.routerWeights.get()).toEqual(emptyUserWeights());
    const learned = someLearning();
    await a.routerWeights.save(learned);
    a.close();
    const b = await fresh({ name: a.name });
    expect(await b.routerWeights.get()).toEqual(learned);
    // Beside the preferences, not in them.
    const preferences = await b.preferences.readAll();
    expect(preferences['app-settings']).toBeUndefined();
    expect(preferences.escalation).toBeUndefined();
    await b.routerWeights.reset();
    expect(await b.routerWeights.get()).toEqual(emptyUserWeights());
  });

  test('go in the full JSON export and come back on import into another browser profile', async () => {
    const a = await fresh();
    await a.conversations.create({ title: 'kept' });
    const learned = someLearning();
    await a.routerWeights.save(learned);
    const json = await a.conversations.exportJson();
    expect(JSON.parse(json).routerWeights).toEqual(learned);
    const b = await fresh();
    const result = await b.conversations.importJson(json);
    expect(result.imported).toBe(1);
    expect(await b.routerWeights.get()).toEqual(learned);
  });

  test('an export with damaged weights is refused whole, saying what is wrong', async () => {
    const a = await fresh();
    await a.conversations.create({ title: 'kept' });
    await a.routerWeights.save(someLearning());
    const data = JSON.parse(await a.conversations.exportJson());
    data.routerWeights.weights['made-up'] = 2;
    const b = await fresh();
    const error = await b.conversations.importJson(JSON.stringify(data)).catch((e: unknown) => e);
    expect(isPetitError(error) && error.code).toBe('import-invalid');
    expect((error as Error).message).toBe(
      '"routerWeights" "weights" names an unknown feature "made-up". Nothing was imported.',
    );
    expect(await b.conversations.list()).toEqual([]);
    expect(await b.routerWeights.get()).toEqual(emptyUserWeights());
  });
});

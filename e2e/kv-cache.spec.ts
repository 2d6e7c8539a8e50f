/**
 * KV-cache reuse across requests (prefix caching), in real Chromium through the library: every way a user changes
 * a conversation gives the same greedy answer as an engine that prefills every prompt whole (`kvCache: false`),
 * and a chat's next turn really takes its history from the cache (`usage.prompt_tokens_details.cached_tokens`).
 */
import { expect, test } from './fixtures.ts';
import { HUB_URL, SIZED_MODEL, STORIES_MODEL, TINY_MODEL } from './env.ts';
import { STORIES_SKIP_REASON, storiesAvailable } from './stories.ts';

type PetitClass = typeof import('../src/index.ts').PetitEngine;
type Petit = InstanceType<PetitClass>;
type Message = { role: 'system' | 'user' | 'assistant'; content: string };

interface Step {
  name: string;
  reused: string;
  fresh: string;
  cached: number;
  promptTokens: number;
}

const hasStories = storiesAvailable();

for (const model of [TINY_MODEL, STORIES_MODEL]) {
  test(`${model}: greedy answers with the KV cache equal answers without it, whatever the user changes`, async ({
    page,
  }) => {
    test.skip(model === STORIES_MODEL && !hasStories, STORIES_SKIP_REASON);
    await page.goto('/api.html');
    await expect(page.locator('#state')).toContainText('Ready');
    const steps = await page.evaluate(
      async ({ model, hub, other }) => {
        const { PetitEngine } = window as unknown as { PetitEngine: PetitClass };
        const reuse: Petit = new PetitEngine({ hubUrl: hub });
        const fresh: Petit = new PetitEngine({ hubUrl: hub });
        const spec = { id: model, dtype: 'fp32' as const, device: 'wasm' as const };
        await reuse.load(spec);
        await fresh.load({ ...spec, kvCache: false });
        const steps: Step[] = [];
        const ask = async (
          name: string,
          messages: Message[],
          extra: { max_tokens?: number; stop?: string[] } = {},
        ) => {
          const request = { messages, max_tokens: 16, temperature: 0, ...extra };
          const a = await reuse.chat.completions.create(request);
          const b = await fresh.chat.completions.create(request);
          if (b.usage.prompt_tokens_details?.cached_tokens !== 0)
            throw new Error('the fresh engine used a cache');
          steps.push({
            name,
            reused: a.choices[0].message.content,
            fresh: b.choices[0].message.content,
            cached: a.usage.prompt_tokens_details?.cached_tokens ?? -1,
            promptTokens: a.usage.prompt_tokens,
          });
          return a.choices[0].message.content;
        };

        const chat: Message[] = [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Once upon a time there was a cat.' },
        ];
        chat.push({ role: 'assistant', content: await ask('turn 1', chat) });
        chat.push({ role: 'user', content: 'What did the cat do next?' });
        chat.push({ role: 'assistant', content: await ask('turn 2', chat) });
        chat.push({ role: 'user', content: 'And then?' });
        await ask('turn 3', chat);
        await ask('regenerate', chat);
        await ask('edit an earlier message', [
          chat[0],
          { ...chat[1], content: 'There was a dog.' },
          ...chat.slice(2),
        ]);
        await ask('delete a turn', [...chat.slice(0, 3), chat[5]]);
        await ask('switch conversation', [{ role: 'user', content: 'Tell me about a bird.' }]);
        await ask('back to the first conversation', chat);
        await ask('another system prompt', [
          { role: 'system', content: 'Answer briefly.' },
          ...chat.slice(1),
        ]);
        await ask('oldest turns dropped', [chat[0], ...chat.slice(3)]);

        // An answer cut mid-way by the user: the partial text is what the conversation keeps.
        const controller = new AbortController();
        const stream = await reuse.chat.completions.create({
          messages: chat,
          max_tokens: 64,
          temperature: 0,
          stream: true,
          signal: controller.signal,
        });
        let partial = '';
        try {
          for await (const chunk of stream) {
            partial += chunk.choices[0]?.delta.content ?? '';
            if (partial.length > 8) controller.abort();
          }
        } catch {
          // aborted, as intended
        }
        await ask('after a stopped answer', [
          ...chat,
          { role: 'assistant', content: partial },
          { role: 'user', content: 'Go on.' },
        ]);

        // An answer ended by a stop sequence: the stored text lacks what the model generated past it.
        const full = await ask('stop sequence (full)', chat, { max_tokens: 24 });
        const stopAt = full.trim().split(/\s+/)[2] ?? full.slice(2, 4);
        const stopped = await ask('stop sequence', chat, { max_tokens: 24, stop: [stopAt] });
        await ask('after a stop sequence', [
          ...chat,
          { role: 'assistant', content: stopped },
          { role: 'user', content: 'Go on.' },
        ]);

        // Another model, then this one again: nothing of the first model's cache may survive.
        await reuse.load({ id: other, dtype: 'fp32', device: 'wasm' });
        await reuse.chat.completions.create({ messages: chat, max_tokens: 4, temperature: 0 });
        await reuse.load(spec);
        await ask('after changing model', chat);

        // A crash of the worker: the engine reloads the model by itself, with an empty cache.
        await ask('before a crash', chat);
        const recovered = new Promise<void>((resolve) =>
          reuse.subscribe((event) => {
            if (event.type === 'recovered') resolve();
          }),
        );
        await reuse.simulateWorkerFailure('error');
        await recovered;
        await ask('after a crash and reload', chat);
        await reuse.unload();
        await fresh.unload();
        return steps;
      },
      { model, hub: HUB_URL, other: model === TINY_MODEL ? SIZED_MODEL : TINY_MODEL },
    );

    for (const step of steps) {
      console.log(
        `${step.name}: ${step.cached}/${step.promptTokens} prompt tokens from the cache; ${JSON.stringify(step.reused.slice(0, 40))}`,
      );
      expect(step.reused, step.name).toBe(step.fresh);
    }
    const cached = (name: string) => steps.find((s) => s.name === name)!.cached;
    expect(cached('turn 1')).toBe(0);
    expect(cached('turn 2')).toBeGreaterThan(10);
    expect(cached('turn 3')).toBeGreaterThan(cached('turn 2'));
    expect(cached('regenerate')).toBeGreaterThan(0);
    expect(cached('edit an earlier message')).toBeLessThan(cached('regenerate'));
    expect(cached('after changing model')).toBe(0);
    expect(cached('after a crash and reload')).toBe(0);
  });
}

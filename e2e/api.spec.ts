import { expect, test } from './fixtures.ts';
import { HUB_URL, MISSING_MODEL, TINY_MODEL } from './env.ts';

/** Runs `body` in the API playground page, where `petit` is a PetitEngine and nothing else is loaded. */
type Petit = import('../src/index.ts').PetitEngine;
declare global {
  interface Window {
    petit: Petit;
  }
}

test.describe('PetitEngine on a plain page', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/api.html');
    await expect(page.locator('#state')).toContainText('Ready');
  });

  test('OpenAI-style calls, streaming and not, with usage; abort rejects with an AbortError code and the engine goes on', async ({
    page,
  }) => {
    const result = await page.evaluate(
      async ({ model, hub }) => {
        const info = await window.petit.load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub });
        const messages = [{ role: 'user' as const, content: 'Name three colours.' }];
        const plain = await window.petit.chat.completions.create({
          messages,
          max_tokens: 24,
          temperature: 0,
        });

        const stream = await window.petit.chat.completions.create({
          messages,
          max_tokens: 24,
          temperature: 0,
          stream: true,
        });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);

        const controller = new AbortController();
        const aborted = window.petit.chat.completions
          .create({ messages, max_tokens: 1500, temperature: 0, signal: controller.signal })
          .then(
            () => ({ code: 'resolved', name: '' }),
            (e: { code: string; name: string }) => ({ code: e.code, name: e.name }),
          );
        setTimeout(() => controller.abort(), 150);
        const abortOutcome = await aborted;

        const after = await window.petit.chat.completions.create({ messages, max_tokens: 8, temperature: 0 });
        return { info, plain, chunks, abortOutcome, after };
      },
      { model: TINY_MODEL, hub: HUB_URL },
    );

    expect(result.info).toMatchObject({
      model: TINY_MODEL,
      backend: 'transformers',
      device: 'wasm',
      dtype: 'fp32',
      threads: 2,
      crossOriginIsolated: true,
    });
    expect(result.plain.object).toBe('chat.completion');
    expect(result.plain.choices[0].message.role).toBe('assistant');
    expect(result.plain.choices[0].message.content.length).toBeGreaterThan(0);
    expect(result.plain.choices[0].finish_reason).toMatch(/stop|length/);
    expect(result.plain.usage.completion_tokens).toBeGreaterThan(0);
    expect(result.plain.usage.completion_tokens).toBeLessThanOrEqual(24);
    expect(result.plain.usage.prompt_tokens).toBeGreaterThan(5);
    expect(result.plain.usage.total_tokens).toBe(
      result.plain.usage.prompt_tokens + result.plain.usage.completion_tokens,
    );
    expect(result.plain.usage.extra.time_to_first_token_ms).toBeGreaterThan(0);
    expect(result.plain.usage.extra.prefill_tokens_per_s).toBeGreaterThan(0);
    if (result.plain.usage.completion_tokens > 1)
      expect(result.plain.usage.extra.decode_tokens_per_s).toBeGreaterThan(0);

    // Greedy: the stream says exactly what the plain call said, chunk by chunk, and ends with usage.
    expect(result.chunks[0].choices[0].delta.role).toBe('assistant');
    const streamed = result.chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    expect(streamed).toBe(result.plain.choices[0].message.content);
    const last = result.chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe(result.plain.choices[0].finish_reason);
    expect(last.usage?.completion_tokens).toBe(result.plain.usage.completion_tokens);
    expect(
      result.chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === result.chunks[0].id),
    ).toBe(true);

    expect(result.abortOutcome).toEqual({ code: 'aborted', name: 'AbortError' });
    expect(result.after.choices[0].message.content.length).toBeGreaterThan(0);
  });

  test('typed errors: unknown model, missing repository, invalid requests', async ({ page }) => {
    const codes = await page.evaluate(
      async ({ model, missing, hub }) => {
        const code = (p: Promise<unknown>) =>
          p.then(
            () => 'resolved',
            (e: { code?: string }) => e.code ?? 'untyped',
          );
        return {
          notLoaded: await code(
            window.petit.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }] }),
          ),
          unknown: await code(window.petit.load('no-such-model')),
          missing: await code(window.petit.load({ id: missing, dtype: 'fp32', device: 'wasm', hubUrl: hub })),
          loaded: await window.petit
            .load({ id: model, dtype: 'fp32', device: 'wasm', hubUrl: hub })
            .then((i) => i.model),
          emptyMessages: await code(window.petit.chat.completions.create({ messages: [] })),
          badTemperature: await code(
            window.petit.chat.completions.create({
              messages: [{ role: 'user', content: 'hi' }],
              temperature: Number.NaN,
            }),
          ),
          badRole: await code(
            window.petit.chat.completions.create({ messages: [{ role: 'robot', content: 'hi' }] } as never),
          ),
          stillWorks: await window.petit.chat.completions
            .create({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, temperature: 0 })
            .then((r) => r.choices[0].message.content.length > 0),
        };
      },
      { model: TINY_MODEL, missing: MISSING_MODEL, hub: HUB_URL },
    );
    expect(codes).toEqual({
      notLoaded: 'not-loaded',
      unknown: 'unknown-model',
      missing: 'model-not-found',
      loaded: TINY_MODEL,
      emptyMessages: 'invalid-request',
      badTemperature: 'invalid-request',
      badRole: 'invalid-request',
      stillWorks: true,
    });
  });
});

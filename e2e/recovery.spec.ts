import type { Page } from '@playwright/test';
import { HUB_URL, TINY_MODEL } from './env.ts';
import { expect, loadFromPicker, savedMessages, test } from './fixtures.ts';

type Petit = import('../src/index.ts').PetitEngine;
type PetitClass = typeof import('../src/index.ts').PetitEngine;

async function ask(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
}

/** Waits until the newest answer has text on screen, i.e. the model is mid-answer. */
async function waitForWords(page: Page): Promise<void> {
  const answer = page.getByTestId('message-assistant').last();
  await expect(answer).toHaveAttribute('data-status', 'streaming');
  await expect(answer.locator('.md-message')).not.toBeEmpty({ timeout: 120_000 });
}

test.describe('crash recovery', () => {
  // The SmolLM2-135M-shaped q4 model answers slowly on WASM, so every crash lands mid-answer.
  test.use({ initialSettings: { temperature: 0, maxTokens: 24 } });

  test('the worker killed mid-answer 10 times: each partial answer kept, the engine recovers by itself, the next prompt is answered', async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await page.goto('/');
    await loadFromPicker(page, 'smollm2-135m-shape', 'q4');
    await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 180_000 });

    // A random-weight model may end an answer by itself before the crash lands; such a round does not count.
    let kills = 0;
    let rounds = 0;
    while (kills < 10) {
      rounds++;
      expect(rounds, 'rounds needed for 10 mid-answer kills').toBeLessThanOrEqual(20);
      const started = Date.now();
      await ask(page, `Question number ${rounds}: tell me about the sea.`);
      await waitForWords(page);
      console.log(`round ${rounds}: first words after ${Date.now() - started} ms`);
      await page.evaluate(() => (window as unknown as { petit: Petit }).petit.simulateWorkerFailure('error'));
      const answer = page.getByTestId('message-assistant').last();
      await expect(answer).not.toHaveAttribute('data-status', 'streaming');
      if ((await answer.getAttribute('data-status')) === 'interrupted') {
        kills++;
        await expect(answer).toContainText('Interrupted: The model stopped working');
        const saved = await savedMessages(page);
        expect(saved.at(-1)?.status).toBe('interrupted');
        expect(saved.at(-1)?.content.length).toBeGreaterThan(0);
      } else {
        await expect(answer).toHaveAttribute('data-status', 'complete');
      }
      // Recovered by itself: the status line is back and says where the model runs.
      await expect(page.getByTestId('context-notice')).toContainText('ready again', { timeout: 180_000 });
      await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 180_000 });
    }

    await ask(page, 'And now a whole answer, please.');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', {
      timeout: 120_000,
    });
    const saved = await savedMessages(page);
    expect(saved.filter((m) => m.role === 'assistant' && m.status === 'interrupted')).toHaveLength(10);
    expect(saved.filter((m) => m.role === 'user')).toHaveLength(rounds + 1);
    expect(saved.at(-1)?.status).toBe('complete');
  });

  test('the whole page closed mid-answer: after a reload the partial answer is kept and the chat goes on', async ({
    page,
  }) => {
    test.setTimeout(420_000);
    await page.goto('/');
    await loadFromPicker(page, 'smollm2-135m-shape', 'q4');
    await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 180_000 });
    await ask(page, 'Tell me about the mountains.');
    await waitForWords(page);
    // Let the throttled save (250 ms) write what is on screen, then pull the plug.
    await page.waitForTimeout(400);
    await page.reload();

    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', 'interrupted');
    await expect(answer).toContainText('the page closed before this answer finished');
    const saved = await savedMessages(page);
    expect(saved.at(-1)).toMatchObject({ role: 'assistant', status: 'interrupted' });
    expect(saved.at(-1)?.content.length).toBeGreaterThan(0);

    await loadFromPicker(page, 'smollm2-135m-shape', 'q4');
    await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 180_000 });
    await ask(page, 'Go on.');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', {
      timeout: 120_000,
    });
  });

  test('a worker that hangs or dies silently is noticed by the watchdog and replaced', async ({ page }) => {
    await page.goto('/api.html');
    const outcome = await page.evaluate(
      async ({ model, hub }) => {
        const { PetitEngine } = window as unknown as { PetitEngine: PetitClass };
        const petit = new PetitEngine({ hubUrl: hub, hangTimeoutMs: 2000 });
        const events: string[] = [];
        petit.subscribe((e) =>
          events.push(e.type + ('error' in e ? `: ${e.error.code} ${e.error.message}` : '')),
        );
        await petit.load({ id: model, dtype: 'fp32', device: 'wasm' });
        const request = {
          messages: [{ role: 'user' as const, content: 'Tell me everything about the sea.' }],
          max_tokens: 1500,
          temperature: 0,
        };
        const codes: string[] = [];
        for (const kind of ['hang', 'exit'] as const) {
          const answer = petit.chat.completions.create(request);
          await new Promise((r) => setTimeout(r, 100));
          await petit.simulateWorkerFailure(kind);
          codes.push(
            await answer.then(
              () => 'answered',
              (e: { code: string }) => e.code,
            ),
          );
          while (!/^recover(ed|y-failed)/.test(events.at(-1) ?? ''))
            await new Promise((r) => setTimeout(r, 50));
        }
        const after = await petit.chat.completions.create({ ...request, max_tokens: 8 }).catch((e) => {
          throw new Error(`${e.message} after ${JSON.stringify({ codes, events })}`);
        });
        return { codes, events, answered: after.choices[0].message.content.length > 0 };
      },
      { model: TINY_MODEL, hub: HUB_URL },
    );
    expect(outcome.codes).toEqual(['worker-crashed', 'worker-crashed']);
    const crashed = 'crashed: worker-crashed The model stopped responding for 2 s. Petit restarted it.';
    expect(outcome.events).toEqual([crashed, 'recovering', 'recovered', crashed, 'recovering', 'recovered']);
    expect(outcome.answered).toBe(true);
  });
});

import type { Page, Request } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PROVIDER_KEY, PROVIDER_URL } from './env.ts';
import { fake, providerRequests } from './fake-provider-client.ts';
import { expect, loadFromPicker, test } from './fixtures.ts';

const PROVIDER_CONFIG = {
  presetId: 'openai',
  model: 'gpt-4o-mini',
  baseUrl: `${PROVIDER_URL}/v1`,
};
const EMAIL = 'alice.martin@example.com';
const CARD = '4111 1111 1111 1111';
const HARD_PROMPT = `Prove that the square root of 2 is irrational, rigorously. Send it to ${EMAIL}, card ${CARD}.`;

/** Stores the provider in localStorage before the app starts (mode and provider; never the key). */
async function presetProvider(page: Page, mode: string, extra: Record<string, unknown> = {}): Promise<void> {
  await page.addInitScript(
    (config) => {
      if (!localStorage.getItem('petit.escalation.v1'))
        localStorage.setItem('petit.escalation.v1', JSON.stringify(config));
    },
    {
      mode,
      provider: { ...PROVIDER_CONFIG, ...extra },
      redact: true,
      consent: { auto: [], conversations: {} },
    },
  );
}

/** Types the key into the Remote model panel: the only way a key enters the app. */
async function storeKey(page: Page): Promise<void> {
  await page.getByTestId('open-provider').click();
  await page.getByTestId('provider-key').fill(PROVIDER_KEY);
  await page.getByTestId('provider-save-key').click();
  await expect(page.getByTestId('provider-status')).toHaveText('Key stored in this browser.');
  await page.getByTestId('provider-close').click();
}

async function ask(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
}

const answers = (page: Page) => page.getByTestId('message-assistant');

test.describe('escalation to a remote model (fake provider on 127.0.0.1)', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16 },
    extraAllowedOrigins: [new URL(PROVIDER_URL).origin],
  });
  test.beforeEach(async () => {
    await fake('reset');
  });

  test('On this device only (the default): nothing reaches the provider, whatever the prompt', async ({
    page,
  }) => {
    await presetProvider(page, 'local-only');
    await page.goto('/');
    await expect(page.getByTestId('escalation-mode')).toHaveValue('local-only');
    await storeKey(page);
    await loadFromPicker(page, 'tiny-llama', 'q8');
    for (const [i, prompt] of [
      HARD_PROMPT,
      'What is the latest news about the exchange rate today?',
    ].entries()) {
      await ask(page, prompt);
      await expect(answers(page).nth(i)).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
      await expect(answers(page).nth(i).getByTestId('answer-source')).toHaveText('On this device');
    }
    // The router wanted a larger model; the app says nothing is sent, and offers no button to send.
    await expect(page.getByTestId('escalation-note')).toContainText('nothing is sent');
    await expect(page.getByTestId('ask-remote')).toHaveCount(0);
    await expect(page.getByTestId('consent-dialog')).toBeHidden();
    expect(await providerRequests()).toEqual([]);

    // The savings meter counts both answers, on this device, and draws them.
    await page.getByTestId('open-savings').click();
    await expect(page.getByTestId('savings-answers')).toContainText('2 answers on this device');
    await expect(page.getByTestId('savings-answers')).toContainText('0 by a remote model');
    await expect(page.getByTestId('savings-money')).toContainText('gpt-4o-mini');
    await expect(page.getByTestId('savings-chart')).toBeVisible();
  });

  test('Send automatically when needed: sends without asking once opted in for the provider, asks again once revoked', async ({
    page,
  }) => {
    await presetProvider(page, 'auto');
    await page.goto('/');
    await expect(page.getByTestId('escalation-mode')).toHaveValue('auto');
    await storeKey(page);
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-auto').check();
    await page.getByTestId('provider-close').click();
    await fake('reply', { text: 'Here is a proof.' });
    await loadFromPicker(page, 'tiny-llama', 'q8');

    await ask(page, HARD_PROMPT);
    const remote = answers(page).nth(1);
    await expect(remote).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    await expect(remote.getByTestId('answer-source')).toHaveAttribute('data-source', 'remote');
    await expect(remote.locator('.content')).toHaveText('Here is a proof.');
    await expect(page.getByTestId('consent-dialog')).toBeHidden();
    expect(await providerRequests()).toHaveLength(1);

    // Revoked: the next request that needs a larger model asks first; Cancel sends nothing.
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-auto').uncheck();
    await page.getByTestId('provider-close').click();
    await ask(page, 'Prove that there are infinitely many prime numbers.');
    await expect(page.getByTestId('consent-dialog')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('router-accuracy')).toContainText('test prompts');
    await page.getByTestId('consent-cancel').click();
    await expect(answers(page)).toHaveCount(3);
    expect(await providerRequests()).toHaveLength(1);

    await page.getByTestId('open-savings').click();
    await expect(page.getByTestId('savings-answers')).toContainText('2 answers on this device');
    await expect(page.getByTestId('savings-answers')).toContainText('1 by a remote model');
  });

  test('offline: the remote model is not asked, the button says why, and the local answers go on', async ({
    page,
    context,
  }) => {
    await presetProvider(page, 'auto');
    await page.goto('/');
    await storeKey(page);
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-auto').check();
    await page.getByTestId('provider-close').click();
    await loadFromPicker(page, 'tiny-llama', 'q8');
    // Offline only once the model is stored and loaded: a download cut by it would fail (as it should).
    await expect(page.getByTestId('status-device')).toHaveText('WASM');
    await context.setOffline(true);

    // Opted in to automatic sending, and the router wants a larger model: offline, nothing is tried.
    await ask(page, HARD_PROMPT);
    await expect(answers(page).first()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    await expect(page.getByTestId('escalation-note')).toContainText('You are offline');
    await expect(page.getByTestId('escalation-note')).toContainText('Nothing was sent');
    await expect(page.getByTestId('consent-dialog')).toBeHidden();
    const button = page.getByTestId('ask-remote');
    await expect(button).toBeDisabled();
    await expect(button).toHaveAttribute('title', /offline/);
    await expect(answers(page)).toHaveCount(1);

    // Back online: the button works again and the remote answer arrives.
    await context.setOffline(false);
    await fake('reply', { text: 'Back online.' });
    await expect(button).toBeEnabled();
    await button.click();
    await expect(answers(page).nth(1).locator('.content')).toHaveText('Back online.', { timeout: 30_000 });
    expect(await providerRequests()).toHaveLength(1);
  });

  test('Ask me each time: the dialog shows the exact payload, Cancel sends nothing, Send streams a remote answer with placeholders on the wire; the key goes to the provider only', async ({
    page,
    context,
  }) => {
    const seen: { url: string; headers: Record<string, string>; body: string }[] = [];
    context.on('request', (r: Request) => {
      void r.allHeaders().then((headers) => seen.push({ url: r.url(), headers, body: r.postData() ?? '' }));
    });
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));

    await page.goto('/');
    await expect(page.getByTestId('escalation-mode')).toHaveValue('local-only');
    // Provider set up through the panel, as a user does: an OpenAI-compatible endpoint at the fake's address.
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-preset').selectOption('openai');
    await page.getByTestId('provider-base-url').fill(`${PROVIDER_URL}/v1`);
    await page.getByTestId('provider-model').fill('gpt-4o-mini');
    await page.getByTestId('provider-save').click();
    await expect(page.getByTestId('provider-current')).toContainText(new URL(PROVIDER_URL).host);
    await page.getByTestId('provider-close').click();
    await storeKey(page);
    await page.getByTestId('escalation-mode').selectOption('ask');

    await loadFromPicker(page, 'tiny-llama', 'q8');
    await ask(page, HARD_PROMPT);
    await expect(answers(page).first()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });

    const dialog = page.getByTestId('consent-dialog');
    await expect(dialog).toBeVisible({ timeout: 30_000 });
    await expect(dialog.getByTestId('consent-host')).toHaveText(new URL(PROVIDER_URL).host);
    await expect(dialog.getByTestId('consent-model')).toHaveText('gpt-4o-mini');
    await expect(dialog.getByTestId('consent-reasons')).toContainText(/prove|proof/i);
    await expect(dialog.getByTestId('consent-cost')).toContainText('tokens in');
    const shown = await dialog.getByTestId('consent-messages').textContent();
    expect(shown).toContain('[EMAIL_1]');
    expect(shown).toContain('[CARD_1]');
    expect(shown).not.toContain(EMAIL);
    expect(shown).not.toContain(CARD);

    await dialog.getByTestId('consent-cancel').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('escalation-note')).toContainText('Nothing was sent');
    await expect(answers(page)).toHaveCount(1);
    await expect(answers(page).first().getByTestId('answer-source')).toHaveText('On this device');
    expect(await providerRequests()).toEqual([]);

    // The fake answers with a placeholder (short: the answer length is 16 tokens); it is put back on this device.
    await fake('reply', { text: 'Mail sent to [EMAIL_1].' });
    // "Not good enough": the dialog again; this time Send.
    await page.getByTestId('ask-remote').click();
    await expect(dialog).toBeVisible();
    const payload = await dialog.getByTestId('consent-payload').textContent();
    await dialog.getByTestId('consent-send').click();
    const remote = answers(page).nth(1);
    await expect(remote).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
    await expect(remote.getByTestId('answer-source')).toHaveAttribute('data-source', 'remote');
    await expect(remote.getByTestId('answer-source')).toContainText('Remote model');
    await expect(remote.locator('.content')).toContainText(EMAIL);
    await expect(answers(page).first().getByTestId('answer-source')).toHaveText('On this device');

    const sent = await providerRequests();
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/v1/chat/completions');
    expect(sent[0].body).toBe(payload);
    expect(sent[0].body).toContain('[EMAIL_1]');
    expect(sent[0].body).toContain('[CARD_1]');
    expect(sent[0].body).not.toContain(EMAIL);
    expect(sent[0].body).not.toContain('4111');
    // The key: in the provider's auth header, nowhere else in that request…
    expect(sent[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    const { authorization: _auth, ...otherHeaders } = sent[0].headers;
    expect(JSON.stringify(otherHeaders) + sent[0].body + sent[0].path + sent[0].query).not.toContain(
      PROVIDER_KEY,
    );
    // …in no request the page made to any other host, and in no console line.
    await expect.poll(() => seen.filter((s) => s.url.startsWith(PROVIDER_URL)).length).toBeGreaterThan(0);
    const elsewhere = seen.filter((s) => !s.url.startsWith(`${PROVIDER_URL}/`));
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const s of elsewhere) expect(JSON.stringify(s)).not.toContain(PROVIDER_KEY);
    expect(logs.join('\n')).not.toContain(PROVIDER_KEY);

    // The export of conversations has the conversation but not the key.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const exported = readFileSync((await (await download).path())!, 'utf8');
    expect(exported).toContain('square root of 2');
    expect(exported).not.toContain(PROVIDER_KEY);

    // Forget key: the stored key is gone.
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-forget-key').click();
    await expect(page.getByTestId('provider-status')).toHaveText('Key forgotten.');
    await expect(page.getByTestId('provider-panel')).toContainText('(none stored)');
  });

  test("the local answer's own token probabilities count: an everyday prompt answered unsurely by the tiny model is offered to the larger one", async ({
    page,
  }) => {
    await presetProvider(page, 'ask');
    await page.goto('/');
    await storeKey(page);
    await loadFromPicker(page, 'tiny-llama', 'q8');
    // The prompt alone stays local (an everyday greeting); the random-weight model's answer is a guess.
    await ask(page, 'Hi there! How are you today?');
    await expect(answers(page).first()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    const dialog = page.getByTestId('consent-dialog');
    await expect(dialog).toBeVisible({ timeout: 30_000 });
    // The confidence reason: the answer's own probabilities, or (from the same log-probabilities) how unfamiliar
    // the prompt looked to this random-weight model.
    await expect(dialog.getByTestId('consent-reasons')).toContainText(
      /unsure of its answer|looked unfamiliar to the local model/,
    );
    await dialog.getByTestId('consent-cancel').click();
    expect(await providerRequests()).toEqual([]);
  });

  test('each failure (401, 429, 500, timeout, dropped stream) ends with a readable message and the conversation intact', async ({
    page,
  }) => {
    await presetProvider(page, 'ask', { timeoutMs: 3000 });
    await page.goto('/');
    await expect(page.getByTestId('escalation-mode')).toHaveValue('ask');
    await storeKey(page);
    await loadFromPicker(page, 'tiny-llama', 'q8');

    const failures: { behaviour: Record<string, unknown>; message: RegExp; partial?: boolean }[] = [
      { behaviour: { kind: 'status', status: 401, times: 1 }, message: /API key/i },
      { behaviour: { kind: 'status', status: 429, retryAfter: 20, times: 1 }, message: /wait 20/ },
      { behaviour: { kind: 'status', status: 500, times: 1 }, message: /server problem/ },
      { behaviour: { kind: 'stall', times: 1 }, message: /did not answer within/ },
      {
        behaviour: { kind: 'drop', afterChunks: 2, times: 1 },
        message: /cut off/,
        partial: true,
      },
    ];

    await ask(page, HARD_PROMPT);
    await expect(answers(page).first()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    const local = (await answers(page).first().locator('.content').textContent()) ?? '';
    const dialog = page.getByTestId('consent-dialog');
    await expect(dialog).toBeVisible({ timeout: 30_000 });

    for (const [i, failure] of failures.entries()) {
      await fake('behaviour', failure.behaviour);
      if (i === 0) await dialog.getByTestId('consent-send-conversation').click();
      // Consent for this conversation: the button sends at once.
      else await page.getByTestId('ask-remote').click();
      const note = page.getByTestId('escalation-note');
      await expect(note).toHaveAttribute('data-kind', 'error', { timeout: 30_000 });
      await expect(note).toContainText(failure.message);
      await expect(note).toContainText('local answer');
      const remote = answers(page).nth(i + 1);
      await expect(remote.getByTestId('answer-source')).toHaveAttribute('data-source', 'remote');
      if (failure.partial) {
        await expect(remote).toHaveAttribute('data-status', 'interrupted');
        await expect(remote.getByTestId('answer-incomplete')).toBeVisible();
        await expect(remote.locator('.content')).not.toBeEmpty();
      } else {
        await expect(remote).toHaveAttribute('data-status', 'error');
      }
      // The conversation is intact: the question and the local answer are still there, unchanged.
      await expect(page.getByTestId('message-user')).toHaveCount(1);
      await expect(answers(page).first().locator('.content')).toHaveText(local);
      await note.getByRole('button', { name: 'Dismiss' }).click();
      await expect(note).toBeHidden();
    }
    expect((await providerRequests()).length).toBe(failures.length);
  });
});

import type { Page } from '@playwright/test';
import { PROVIDER_URL } from './env.ts';
import { fake, providerRequests } from './fake-provider-client.ts';
import { expect, loadFromPicker, test } from './fixtures.ts';

async function ask(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
}

const answers = (page: Page) => page.getByTestId('message-assistant');

test.describe('the router learns from this user (issue 14)', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16 },
    extraAllowedOrigins: [new URL(PROVIDER_URL).origin],
  });
  test.beforeEach(async () => {
    await fake('reset');
  });

  test('"This answer was fine" and "Not good enough" are learned, shown in words, kept across a reload, and forgotten on reset', async ({
    page,
  }) => {
    await page.addInitScript(
      (config) => {
        if (!localStorage.getItem('petit.escalation.v1'))
          localStorage.setItem('petit.escalation.v1', JSON.stringify(config));
      },
      {
        mode: 'ask',
        provider: { presetId: 'openai', model: 'gpt-4o-mini', baseUrl: `${PROVIDER_URL}/v1` },
        redact: true,
        consent: { auto: [], conversations: {} },
      },
    );
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');

    await ask(page, 'Write a Python function that adds two numbers.');
    await expect(answers(page).nth(0)).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    // The tiny random-weight model answers unsurely, so the router offers the larger model: refuse, then say the
    // local answer was fine.
    await expect(page.getByTestId('consent-dialog')).toBeVisible();
    await page.getByTestId('consent-cancel').click();
    await answers(page).nth(0).getByTestId('answer-fine').click();
    await expect(page.getByTestId('escalation-note')).toContainText('keep requests like this on this device');

    await ask(page, 'Who was the first emperor of Rome?');
    await expect(answers(page).nth(1)).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    await expect(page.getByTestId('consent-dialog')).toBeVisible();
    await page.getByTestId('consent-cancel').click();
    await answers(page).nth(1).getByTestId('ask-remote').click();
    await expect(page.getByTestId('consent-dialog')).toBeVisible();
    await page.getByTestId('consent-cancel').click();
    expect(await providerRequests()).toEqual([]);

    await page.getByTestId('open-savings').click();
    await expect(page.getByTestId('router-learned-count')).toContainText(
      '1 × “not good enough”, 1 × “this answer was fine”',
    );
    await expect(page.getByTestId('router-learned-list')).toContainText(
      'Requests for programming work: more often kept on this device',
    );
    await page.getByTestId('savings-close').click();

    // Kept in IndexedDB: still there after a reload.
    await page.reload();
    await page.getByTestId('open-savings').click();
    await expect(page.getByTestId('router-learned-count')).toContainText('1 × “not good enough”');
    await page.getByTestId('router-learned-reset').click();
    await expect(page.getByTestId('router-learned-count')).toContainText(
      '0 × “not good enough”, 0 × “this answer was fine”',
    );
    await expect(page.getByTestId('router-learned-list')).toHaveCount(0);
    await page.getByTestId('savings-close').click();
    await page.reload();
    await page.getByTestId('open-savings').click();
    await expect(page.getByTestId('router-learned-count')).toContainText('0 × “not good enough”');
  });
});

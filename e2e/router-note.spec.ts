/**
 * Issue 17, the router note and the escalation dialogs: in "On this device only" the router's view is a quiet hint
 * (no live announcement, its reasons folded away), worded in the user's language and re-worded when the language
 * changes; the consent dialog starts on Cancel, keeps Cancel → Send for this conversation → Send in tab order,
 * closes on Escape as a Cancel and gives focus back; the Remote model and Savings panels close on Escape and give
 * focus back to the header button that opened them.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { PROVIDER_URL } from './env.ts';
import { fake, providerRequests } from './fake-provider-client.ts';
import { expect, loadFromPicker, test } from './fixtures.ts';

const PROVIDER = { presetId: 'openai', model: 'gpt-4o-mini', baseUrl: `${PROVIDER_URL}/v1` };

async function storeMode(page: Page, mode: 'ask' | 'local-only'): Promise<void> {
  await page.addInitScript(
    (config) => {
      if (!localStorage.getItem('petit.escalation.v1'))
        localStorage.setItem('petit.escalation.v1', JSON.stringify(config));
    },
    { mode, provider: PROVIDER, redact: true, consent: { auto: [], conversations: {} } },
  );
}

async function ask(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', {
    timeout: 60_000,
  });
}

const focusedTestId = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

test.describe('the router note', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16, language: 'fr' },
    extraAllowedOrigins: [new URL(PROVIDER_URL).origin],
  });
  test.beforeEach(async () => {
    await fake('reset');
  });

  test('On this device only: a quiet hint in French, its reasons folded, nothing sent; English after a switch', async ({
    page,
  }) => {
    await storeMode(page, 'local-only');
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await ask(page, 'Démontre rigoureusement que la racine carrée de 2 est irrationnelle.');

    const note = page.getByTestId('escalation-note');
    await expect(note).toHaveAttribute('data-kind', 'hint');
    // Quiet: not a live region, and not an alert.
    await expect(note).not.toHaveAttribute('role', /.+/);
    await expect(note).toContainText('rien n’est envoyé');
    const reasons = note.getByTestId('escalation-reasons');
    await expect(reasons).toBeHidden();
    await note.locator('summary').click();
    await expect(reasons).toContainText('Elle demande une démonstration.');
    // The measured figure on unseen prompts, in French typography (no-break space before %).
    await expect(note).toContainText(/87\s%\sde 322\sdemandes de test/);
    await expect(note).not.toContainText('95');
    expect(await providerRequests()).toEqual([]);
    // Quiet is not faint: readable (contrast) and named, in both themes.
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const { violations } = await new AxeBuilder({ page })
        .include('[data-testid="escalation-note"]')
        .analyze();
      expect(
        violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
        colorScheme,
      ).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: null });

    // The same note, re-worded at once when the language changes (Settings → English), with no new answer.
    await page.getByTestId('open-settings').click();
    await page.getByTestId('language-choice').selectOption('en');
    await page.getByRole('dialog', { name: 'Réglages' }).getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(note).toContainText('so nothing is sent');
    await expect(reasons).toContainText('It asks for a proof.');
    await expect(note).toContainText('87% of 322 test prompts');
  });
});

test.describe('escalation dialogs and the keyboard', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16 },
    extraAllowedOrigins: [new URL(PROVIDER_URL).origin],
  });
  test.beforeEach(async () => {
    await fake('reset');
  });

  test('consent starts on Cancel, tabs to the two Send buttons, Escape cancels and gives focus back', async ({
    page,
  }) => {
    await storeMode(page, 'ask');
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await page.getByTestId('prompt').fill('Prove that the square root of 2 is irrational, rigorously.');
    await page.getByTestId('prompt').press('Enter');

    const dialog = page.getByTestId('consent-dialog');
    await expect(dialog).toBeVisible({ timeout: 60_000 });
    await expect(dialog).toHaveAccessibleName('Send this to a larger model?');
    await expect.poll(() => focusedTestId(page)).toBe('consent-cancel');
    await page.keyboard.press('Tab');
    expect(await focusedTestId(page)).toBe('consent-send-conversation');
    await page.keyboard.press('Tab');
    expect(await focusedTestId(page)).toBe('consent-send');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('escalation-note')).toContainText('Nothing was sent');
    await expect.poll(() => focusedTestId(page)).toBe('prompt');
    expect(await providerRequests()).toEqual([]);
  });

  test('Remote model and Savings open from the keyboard, close on Escape, and give focus back', async ({
    page,
  }) => {
    await page.goto('/');
    for (const [opener, panel, title] of [
      ['open-provider', 'provider-panel', 'Remote model'],
      ['open-savings', 'savings-panel', 'Savings'],
    ] as const) {
      await page.getByTestId(opener).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByTestId(panel);
      await expect(dialog).toBeVisible();
      await expect(dialog).toHaveAccessibleName(title);
      await expect
        .poll(() => page.evaluate((id) => !!document.activeElement?.closest(`[data-testid="${id}"]`), panel))
        .toBe(true);
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect.poll(() => focusedTestId(page)).toBe(opener);
    }
  });
});

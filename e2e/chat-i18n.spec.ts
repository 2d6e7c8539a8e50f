/**
 * Issue 17 for the app shell and the chat: a French browser gets Petit in French, Settings switches it to English
 * for good, an answer is announced once to screen readers, and the keyboard keeps its place (Stop, dialogs, the
 * phone drawer).
 */
import { chromium, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_URL } from './env.ts';
import { CHROMIUM_ARGS, chromiumPath, expect, loadFromPicker, test as base } from './fixtures.ts';

/**
 * e2e/fixtures.ts launches its persistent context without Playwright's `locale` option; this spec's context
 * passes it, so that `test.use({ locale })` sets the browser's languages (navigator.languages, Accept-Language).
 */
const test = base.extend({
  context: async ({ initialSettings, requests, locale, serviceWorkers }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'petit-e2e-'));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath(),
      args: [...CHROMIUM_ARGS, '--disable-gpu'],
      baseURL: APP_URL,
      viewport: { width: 1100, height: 800 },
      serviceWorkers,
      locale,
    });
    context.on('request', (r) => requests.push(r.url()));
    await context.addInitScript((settings) => {
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('petit.settings.v1'))
        localStorage.setItem('petit.settings.v1', JSON.stringify(settings));
    }, initialSettings);
    await use(context);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  },
});

/** Every distinct text the answer announcer held, in order (read by a MutationObserver in the page). */
async function watchAnnouncer(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const region = document.querySelector('[data-testid="answer-announcer"]')!;
    const seen: string[] = [];
    (window as unknown as { __said: string[] }).__said = seen;
    new MutationObserver(() => {
      const text = region.textContent?.trim() ?? '';
      if (text && text !== seen.at(-1)) seen.push(text);
    }).observe(region, { childList: true, subtree: true, characterData: true });
  });
  return () => page.evaluate(() => [...(window as unknown as { __said: string[] }).__said]);
}

test.describe('in a French browser', () => {
  test.use({ locale: 'fr-FR' });

  test('Petit starts in French; English chosen in Settings applies at once and survives a reload', async ({
    page,
  }) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page).toHaveTitle('Petit — de petits modèles, sur votre appareil');
    const settingsButton = page.getByTestId('open-settings');
    await expect(settingsButton).toHaveText('Réglages');
    await expect(page.getByTestId('prompt')).toHaveAttribute('placeholder', /Chargez un modèle/);
    await expect(page.getByTestId('status')).toHaveText(/Aucun modèle chargé/);

    // One header row on a common small desktop, in the longer language too.
    await page.setViewportSize({ width: 1024, height: 768 });
    const tops = await page
      .locator('.topbar .brand, .topbar-actions > *')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(24);
    expect((await page.locator('.topbar').boundingBox())!.height).toBeLessThan(80);

    await settingsButton.click();
    const dialog = page.getByRole('dialog', { name: 'Réglages' });
    await expect(dialog).toBeVisible();
    const language = dialog.getByLabel('Langue');
    await expect(language.locator('option')).toHaveText([
      'Automatique — suit le navigateur',
      'English',
      'Français',
    ]);
    await expect(language.locator('option[value="fr"]')).toHaveAttribute('translate', 'no');
    await language.selectOption('en');
    await dialog.getByRole('button', { name: 'Enregistrer' }).click();

    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(settingsButton).toHaveText('Settings');
    await expect(page.getByTestId('status')).toHaveText(/No model loaded/);
    await expect(page).toHaveTitle('Petit — small models, on your device');

    await page.reload();
    await expect(page.getByTestId('open-settings')).toHaveText('Settings');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.getByTestId('open-settings').click();
    await expect(page.getByRole('dialog', { name: 'Settings' }).getByLabel('Language')).toHaveValue('en');
  });

  test('Settings is a labelled dialog: Escape closes it and the focus returns to its button', async ({
    page,
  }) => {
    await page.goto('/');
    const opener = page.getByTestId('open-settings');
    await opener.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog', { name: 'Réglages' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'Réglages' })).toBeHidden();
    await expect(opener).toBeFocused();
  });

  test('on a phone, the conversation drawer takes the focus and Escape gives it back', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto('/');
    const menu = page.getByRole('button', { name: 'Conversations' });
    const newChat = page.getByTestId('new-chat');
    // Shut, the drawer is out of the Tab order.
    await expect(newChat).toBeHidden();
    await menu.click();
    await expect(newChat).toBeFocused();
    await expect(newChat).toHaveText('Nouvelle conversation');
    await page.keyboard.press('Escape');
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await expect(menu).toBeFocused();
    await expect(newChat).toBeHidden();

    // The drawer slides, unless the system asks for less motion.
    const slide = () => page.locator('.sidebar').evaluate((el) => getComputedStyle(el).transitionDuration);
    expect(await slide()).toMatch(/^0\.2s/);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await slide()).toBe('0s');
  });
});

test.describe('an answer for screen-reader and keyboard users', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 24 } });

  test('announced once when it completes, not token by token; Stop keeps the focus', async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'q8');
    await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 120_000 });
    const said = await watchAnnouncer(page);

    await page.getByTestId('prompt').fill('Once upon a time');
    await page.getByTestId('prompt').press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    const words = (s: string) => s.replace(/\s+/g, '');
    const text = await answer.locator('.content').innerText();
    expect(words(text).length).toBeGreaterThan(0);
    // The message list is no live region: only the announcer speaks, once, with the whole answer.
    expect(await answer.evaluate((el) => el.closest('[aria-live]'))).toBeNull();
    await expect.poll(async () => (await said()).length).toBe(1);
    const [announced] = await said();
    expect(announced.startsWith('Answer complete. ')).toBe(true);
    expect(words(announced.slice('Answer complete. '.length))).toBe(words(text));
    await page.waitForTimeout(500);
    expect(await said()).toHaveLength(1);

    // Stop from the keyboard: Tab from the field reaches it, Enter stops, and the focus stays on the button.
    await page.getByTestId('prompt').fill('Tell me more');
    await page.getByTestId('prompt').press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'streaming');
    await page.keyboard.press('Tab');
    const stop = page.getByTestId('stop');
    await expect(stop).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'stopped');
    await expect(page.getByTestId('send')).toBeFocused();
    await expect.poll(said).toEqual([announced, 'Answer stopped']);
  });
});

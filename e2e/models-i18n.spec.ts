/**
 * The Models screen and the picker in French, and with `?i18n=pseudo`: no text the user can see or hear escapes
 * the catalogs (names, ids and figures are marked translate="no"). The dialog closes on Escape and gives focus back.
 */
import type { Locator, Page } from '@playwright/test';
import { addHubFault, expect, loadFromPicker, resetHub, test } from './fixtures.ts';
import { TINY_MODEL } from './env.ts';

/**
 * Words under `root` outside ⟦ ⟧ and outside translate="no": its text (a message split by `<code>` or a name in
 * translate="no" is judged whole, so the root's text is read at once) and its accessible attributes.
 */
async function untranslated(root: Locator): Promise<string[]> {
  return root.evaluate((el) => {
    const strip = (text: string) => {
      // Messages nest (a precision inside a sentence): remove the innermost brackets until none is left.
      for (let before = ''; before !== text;) [before, text] = [text, text.replace(/⟦[^⟦⟧]*⟧/g, ' ')];
      return text.split(/\s+/).filter((word) => /\p{L}/u.test(word));
    };
    const clone = el.cloneNode(true) as Element;
    for (const node of clone.querySelectorAll('[translate="no"], script, style')) node.replaceWith(' ');
    const found = strip(clone.textContent ?? '').map((w) => `text: ${w}`);
    for (const node of el.querySelectorAll('*')) {
      if (node.closest('[translate="no"]')) continue;
      for (const attr of ['aria-label', 'aria-valuetext', 'title', 'placeholder', 'alt']) {
        const value = node.getAttribute(attr);
        if (value && strip(value).length > 0) found.push(`${attr}: ${value}`);
      }
    }
    return found;
  });
}

async function openModels(page: Page): Promise<Locator> {
  await page.getByTestId('open-models').click();
  const screen = page.getByTestId('models-screen');
  await expect(screen).toBeVisible();
  return screen;
}

test.describe('in French', () => {
  test.use({ initialSettings: { temperature: 0, language: 'fr' } });

  test('the Models screen speaks French, with French sizes and the languages each model handles', async ({
    page,
  }) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByTestId('load-model')).toHaveText('Charger');
    const screen = await openModels(page);
    await expect(screen.getByRole('heading', { level: 2 })).toHaveText('Modèles');
    await expect(screen.getByTestId('storage-free')).toHaveText(/[kMG]o$/);
    await expect(screen.getByRole('meter')).toHaveAttribute('aria-valuetext', /utilisés sur/);

    await screen.locator('[data-testid=catalog-item][data-id="qwen2.5-0.5b-instruct"]').click();
    const card = screen.getByTestId('model-card');
    await expect(card.getByTestId('card-languages')).toContainText('français');
    await expect(card.getByTestId('card-languages')).toContainText('et d’autres');
    await expect(card).toContainText('Réponses multilingues et code simple.');
    await expect(card).toContainText(/32\s768 jetons/);
    await expect(card.getByTestId('model-choice')).toContainText(/sur WASM|Ne fonctionne pas ici/);

    await screen.locator('[data-testid=catalog-item][data-id="smollm2-135m-instruct"]').click();
    await expect(card.getByTestId('card-languages')).toHaveText('anglais');
    await expect(card).toContainText(/135\sM de paramètres/);

    await screen.locator('[data-testid=catalog-item][data-id="ministral-8b-instruct-2410"]').click();
    await expect(card.getByTestId('model-choice')).toContainText(
      'Ne fonctionne pas ici : Il n’existe aucune version ONNX ou MLC de ce modèle',
    );
  });
});

test.describe('the download in French', () => {
  test.use({ initialSettings: { temperature: 0, language: 'fr' } });
  test.beforeEach(resetHub);
  test.afterEach(resetHub);

  test('the progress bar reads its bytes in French to a screen reader', async ({ page }) => {
    await page.goto('/');
    await addHubFault({ match: `${TINY_MODEL}/onnx/*`, bytesPerSecond: 100_000 });
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    const bar = page.getByTestId('download-progress').locator('progress');
    await expect(bar).toHaveAttribute('aria-valuetext', /^\d+(,\d)?\sko sur 9\d\d\sko$/);
    await page.getByTestId('cancel-load').click();
    await expect(page.getByTestId('download-progress')).toBeHidden();
  });
});

test('with ?i18n=pseudo, every word on the Models screen and in the picker comes from a catalog', async ({
  page,
}) => {
  await page.goto('/?i18n=pseudo');
  const picker = page.locator('.model-picker');
  await expect(picker.getByTestId('model-choice')).toBeVisible();
  expect(await untranslated(picker)).toEqual([]);
  // A stored model adds its row, its commit and "Check for update".
  await loadFromPicker(page, 'tiny-llama', 'q8');
  await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 60_000 });

  const screen = await openModels(page);
  await expect(screen.getByTestId('stored-model')).toHaveCount(1);
  await expect(screen.getByTestId('stored-commit')).toBeVisible();
  expect(await untranslated(screen)).toEqual([]);
  for (const id of ['llama-3.2-1b-instruct', 'mpt-7b-instruct', 'phi-3.5-mini-instruct']) {
    await screen.locator(`[data-testid=catalog-item][data-id="${id}"]`).click();
    await expect(screen.getByTestId('model-card').getByTestId('model-choice')).toBeVisible();
    expect(await untranslated(screen), id).toEqual([]);
  }
  await screen.getByTestId('delete-model').click();
  await expect(screen.getByTestId('confirm-delete')).toBeFocused();
  expect(await untranslated(screen)).toEqual([]);
  await screen.getByTestId('confirm-delete').click();
  await expect(screen.getByTestId('models-notice')).toBeVisible();
  expect(await untranslated(screen)).toEqual([]);
});

test('Escape closes the Models screen and gives focus back to the button that opened it', async ({
  page,
}) => {
  await page.goto('/');
  const opener = page.getByTestId('open-models');
  await opener.focus();
  await page.keyboard.press('Enter');
  const screen = page.getByTestId('models-screen');
  await expect(screen).toBeVisible();
  await expect(screen).toHaveAccessibleName('Models');
  await expect(screen.getByRole('button', { name: 'Close' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(screen).toBeHidden();
  await expect(opener).toBeFocused();
});

/**
 * The app with the keyboard only (no click, no fill): load a model from the picker, send a prompt, stop the
 * answer, open and close every dialog (focus goes in, Tab stays in, Escape closes, focus comes back to the
 * button that opened it), export the conversations; every element reached shows a focus ring.
 */
import type { Locator, Page } from '@playwright/test';
import { PROVIDER_KEY } from './env.ts';
import { expect, test } from './fixtures.ts';
import { DIALOGS, ESCALATING_PROMPT, PROVIDER_ORIGIN, storeEscalation } from './screens.ts';

/** Elements that had the focus without a visible ring (outline or box-shadow), each once. */
class Rings {
  readonly missing = new Set<string>();
  async check(page: Page): Promise<void> {
    const lacking = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const outlined = (e: Element) => {
        const s = getComputedStyle(e);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
      };
      if (outlined(el) || getComputedStyle(el).boxShadow !== 'none') return null;
      // A field may draw its ring around its frame (the composer): an outline on a near ancestor counts.
      const up = el.parentElement;
      if ((up && outlined(up)) || (up?.parentElement && outlined(up.parentElement))) return null;
      const name = el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? el.textContent ?? '';
      return `${el.tagName.toLowerCase()} "${name.trim().slice(0, 40)}"`;
    });
    if (lacking) this.missing.add(lacking);
  }
}

const isFocused = (target: Locator) => target.evaluate((el) => el === document.activeElement);

/** Presses Tab (or Shift+Tab) until `target` has the focus, checking the ring at each stop. */
async function tabTo(page: Page, target: Locator, rings: Rings, backwards = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (await isFocused(target)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    await rings.check(page);
  }
  throw new Error(`Tab never reached ${target}`);
}

/** Picks an option of the focused select with the arrow keys. */
async function choose(page: Page, select: Locator, value: string): Promise<void> {
  for (const key of ['ArrowDown', 'ArrowUp']) {
    for (let i = 0; i < 30; i++) {
      if ((await select.inputValue()) === value) return;
      await page.keyboard.press(key);
    }
  }
  expect(await select.inputValue()).toBe(value);
}

/** Focus is in the open dialog, or in the browser's own UI (past the dialog's last control): not behind it. */
const focusInDialog = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return !el || el === document.body || el.closest('dialog[open]') !== null;
  });

/** Tabs once round the open dialog and back: the focus never reaches the page behind it. */
async function expectTabStaysIn(page: Page, what: string, rings: Rings): Promise<void> {
  expect(await focusInDialog(page), `${what}: the focus moved into the dialog`).toBe(true);
  const stops = await page
    .locator('dialog[open]')
    .evaluate(
      (d) =>
        [
          ...d.querySelectorAll<HTMLElement>(
            'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])',
          ),
        ].filter((e) => e.checkVisibility()).length,
    );
  for (let i = 0; i < Math.min(stops + 2, 60); i++) {
    await page.keyboard.press('Tab');
    await rings.check(page);
    expect(await focusInDialog(page), `${what}: Tab ${i + 1} left the dialog`).toBe(true);
  }
}

test.use({
  // Long answers, so that Stop has something to stop: the tiny model's greedy answer can end within a few
  // tokens; sampled, its end token is about one in a thousand. 400 tokens fit its context of 512.
  initialSettings: { temperature: 1, maxTokens: 400 },
  extraAllowedOrigins: [PROVIDER_ORIGIN],
});

test('keyboard only: load, send, stop, every dialog, consent, export; a focus ring at each step', async ({
  page,
}) => {
  test.setTimeout(150_000);
  // The provider is set up but the mode is on-device only: the user turns 'ask' on with the keyboard later.
  await storeEscalation(page, 'local-only');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await expect(page.getByTestId('model-select')).toBeVisible();
  const rings = new Rings();

  // Load the tiny model from the picker.
  await tabTo(page, page.getByTestId('model-select'), rings);
  await choose(page, page.getByTestId('model-select'), 'tiny-llama');
  await tabTo(page, page.getByTestId('dtype-select'), rings);
  await choose(page, page.getByTestId('dtype-select'), 'q8');
  await tabTo(page, page.getByTestId('load-model'), rings);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('prompt')).toBeEnabled({ timeout: 60_000 });

  // A prompt, then Stop while it streams; the focus stays on the button.
  await tabTo(page, page.getByTestId('prompt'), rings);
  await page.keyboard.type('Tell me a long story about a cat and a boat.');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('stop')).toBeVisible();
  await page.keyboard.press('Tab');
  await rings.check(page);
  expect(await isFocused(page.getByTestId('stop'))).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'stopped');
  await expect(page.getByTestId('send')).toBeFocused();

  // Every dialog of the header: Enter opens, Tab stays in, Escape closes, the opener has the focus again.
  for (const { open, screen } of DIALOGS) {
    const opener = page.getByTestId(open);
    await tabTo(page, opener, rings);
    await page.keyboard.press('Enter');
    await expect(page.locator('dialog[open]'), screen).toBeVisible();
    await expectTabStaysIn(page, screen, rings);
    await page.keyboard.press('Escape');
    await expect(page.locator('dialog[open]'), `${screen}: Escape closes`).toHaveCount(0);
    await expect(opener, `${screen}: the focus is back on its button`).toBeFocused();
  }

  // The remote model's key, typed; then 'ask' in the header, and a prompt the router sends further.
  await tabTo(page, page.getByTestId('open-provider'), rings, true);
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByTestId('provider-key'), rings);
  await page.keyboard.type(PROVIDER_KEY);
  await tabTo(page, page.getByTestId('provider-save-key'), rings);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('provider-forget-key')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('dialog[open]')).toHaveCount(0);
  await tabTo(page, page.getByTestId('escalation-mode'), rings, true);
  await choose(page, page.getByTestId('escalation-mode'), 'ask');
  await tabTo(page, page.getByTestId('prompt'), rings);
  await page.keyboard.type(ESCALATING_PROMPT);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('consent-dialog')).toBeVisible({ timeout: 60_000 });
  await expectTabStaysIn(page, 'consent dialog', rings);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('consent-dialog')).toBeHidden();
  // Back in the composer, where the prompt was sent from.
  expect(
    await page.evaluate(() => document.activeElement?.closest('.composer') !== null),
    'consent dialog: the focus is back in the composer',
  ).toBe(true);
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute(
    'data-status',
    /complete|stopped|error/,
    { timeout: 60_000 },
  );

  // Export the conversations (the list is beside the chat on a desktop screen).
  const exportJson = page.locator('.sidebar-foot button').first();
  await tabTo(page, exportJson, rings, true);
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toMatch(/\.json$/);

  expect([...rings.missing], 'focused without a visible focus ring').toEqual([]);
});

test('keyboard only on a phone: the conversation drawer takes the focus, Escape closes it and gives it back', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await expect(page.getByTestId('model-select')).toBeVisible();
  const rings = new Rings();
  const menu = page.locator('.menu-button');
  await tabTo(page, menu, rings);
  await page.keyboard.press('Enter');
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('.sidebar') !== null))
    .toBe(true);
  await rings.check(page);
  await page.keyboard.press('Escape');
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(menu).toBeFocused();
  // Shut, the drawer is out of the Tab order: the next stops are the header's.
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    await rings.check(page);
    expect(await page.evaluate(() => document.activeElement?.closest('.sidebar') === null)).toBe(true);
  }
  expect([...rings.missing], 'focused without a visible focus ring').toEqual([]);
});

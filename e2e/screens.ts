/**
 * One walk through every screen and dialog of the app, and one through the widget's panel on a host page, calling
 * back at each stop: layout.spec (fits the width), a11y.spec (axe), i18n.spec (pseudo-locale, French) judge the
 * same screens. Locators are test ids and classes only, never English names: the walk runs in every language.
 */
import type { Frame, Page } from '@playwright/test';
import { APP_URL, PROVIDER_KEY, PROVIDER_URL } from './env.ts';
import { fake } from './fake-provider-client.ts';
import { expect, loadFromPicker } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN, WIDGET_HOST_PORT } from './pwa-env.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

export type Screen =
  | 'main screen'
  | 'picker with the longest name'
  | 'conversation drawer'
  | 'Models'
  | 'Settings'
  | 'Remote model'
  | 'Savings'
  | 'error banner'
  | 'consent dialog'
  | 'chat with answers and notes'
  | 'conversation drawer with a conversation'
  | 'widget panel'
  | 'widget consent card'
  | 'widget with an answer and a note';

/** Called at each stop, with the page or (for the widget) the embed frame that shows the screen. */
export type Visit = (screen: Screen, target: Page | Frame) => Promise<void>;

/** A prompt the router sends further than the on-device model (a proof): the consent dialog opens. */
export const ESCALATING_PROMPT = 'Prove that the square root of 2 is irrational, rigorously.';

/** Settings the walk needs: short answers, so the chat with answers comes quickly. */
export const WALK_SETTINGS = { temperature: 0, maxTokens: 16 };
/** The fake provider's origin: the walk talks to it (test.use({ extraAllowedOrigins })). */
export const PROVIDER_ORIGIN = new URL(PROVIDER_URL).origin;

const PROVIDER_CONFIG = { presetId: 'openai', model: 'gpt-4o-mini', baseUrl: `${PROVIDER_URL}/v1` };

/** The fake provider as the remote model, and a mode, stored before the app starts (as set up earlier). */
export async function storeEscalation(page: Page, mode: 'ask' | 'local-only'): Promise<void> {
  await fake('reset');
  await page.addInitScript(
    (config) => {
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('petit.escalation.v1'))
        localStorage.setItem('petit.escalation.v1', JSON.stringify(config));
    },
    { mode, provider: PROVIDER_CONFIG, redact: true, consent: { auto: [], conversations: {} } },
  );
}

/** The 'ask' mode with the fake provider: the walk's prompt opens the consent dialog. */
export function askModeWithFakeProvider(page: Page): Promise<void> {
  return storeEscalation(page, 'ask');
}

/** True where the conversation list is a drawer behind the menu button (phones). */
export async function hasDrawer(page: Page): Promise<boolean> {
  return page.locator('.menu-button').isVisible();
}

/** Opens the phone's conversation drawer and waits until it has slid in. */
export async function openDrawer(page: Page): Promise<void> {
  await page.locator('.menu-button').click();
  await expect
    .poll(() => page.locator('.sidebar').evaluate((e) => getComputedStyle(e).transform))
    .toBe('none');
}

export async function closeDrawer(page: Page): Promise<void> {
  const width = page.viewportSize()?.width ?? 390;
  await page.locator('.sidebar-scrim').click({ position: { x: width - 5, y: 300 } });
  await expect
    .poll(() => page.locator('.sidebar').evaluate((e) => getComputedStyle(e).transform))
    .not.toBe('none');
}

/** The header buttons that open a dialog, with the button that closes each (null: Escape). */
export const DIALOGS = [
  { open: 'open-models', close: 'close-models', screen: 'Models' },
  { open: 'open-settings', close: null, screen: 'Settings' },
  { open: 'open-provider', close: 'provider-close', screen: 'Remote model' },
  { open: 'open-savings', close: 'savings-close', screen: 'Savings' },
] as const;

/**
 * Walks the app: opens `path` (e.g. '/?i18n=pseudo'), then every screen in turn. The drawer stops happen only
 * where there is a drawer (phone widths). Loads the tiny model once, and leaves the page on the chat with answers.
 * Call askModeWithFakeProvider first if the page was not prepared otherwise.
 */
export async function walkApp(page: Page, visit: Visit, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('model-select')).toBeVisible();
  await visit('main screen', page);

  // The longest catalog name selected: the select must not grow to its width.
  const select = page.getByTestId('model-select');
  const longest = await select.evaluate((s: HTMLSelectElement) => {
    const options = [...s.options].sort((a, b) => b.text.length - a.text.length);
    return options[0]!.value;
  });
  await select.selectOption(longest);
  await visit('picker with the longest name', page);

  const drawer = await hasDrawer(page);
  if (drawer) {
    await openDrawer(page);
    await visit('conversation drawer', page);
    await closeDrawer(page);
  }

  for (const { open, close, screen } of DIALOGS) {
    await page.getByTestId(open).click();
    await expect(page.locator('dialog[open]')).toBeVisible();
    await visit(screen, page);
    if (close) await page.getByTestId(close).click();
    else await page.keyboard.press('Escape');
    await expect(page.locator('dialog[open]')).toHaveCount(0);
  }

  // A model whose config is broken: the error in the user's words, the library's own under Details.
  await loadFromPicker(page, 'bad-config', 'fp32');
  const error = page.getByTestId('error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await error.locator('summary').click();
  await visit('error banner', page);
  await error.locator('button').click();
  await expect(error).toHaveCount(0);

  // The key, then a prompt the router sends further: the consent dialog opens.
  await page.getByTestId('open-provider').click();
  await page.getByTestId('provider-key').fill(PROVIDER_KEY);
  await page.getByTestId('provider-save-key').click();
  await page.getByTestId('provider-close').click();
  await loadFromPicker(page, 'tiny-llama', 'q8');
  await expect(page.getByTestId('prompt')).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('prompt').fill(ESCALATING_PROMPT);
  await page.getByTestId('prompt').press('Enter');
  await expect(page.getByTestId('consent-dialog')).toBeVisible({ timeout: 60_000 });
  await visit('consent dialog', page);
  await page.getByTestId('consent-cancel').click();
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute(
    'data-status',
    /complete|error/,
    { timeout: 60_000 },
  );
  await visit('chat with answers and notes', page);

  if (drawer) {
    await openDrawer(page);
    await visit('conversation drawer with a conversation', page);
    await closeDrawer(page);
  }
}

/** A host page's HTML with the widget inline (its panel open), in 'ask' mode with the deployment's provider. */
export function widgetHostPage(attributes: Record<string, string> = {}): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head><body style="margin:0"><main><h1>Shop</h1>
<petit-chat model="tiny-llama" placement="inline" escalation="ask" greeting="Hello from the shop's assistant"${extra}></petit-chat>
</main><script type="module" src="${APP_URL}/widget.js"></script></body></html>`;
}

/** Serves host pages (path → attributes of <petit-chat>) at WIDGET_HOST_ORIGIN. */
export function startWidgetHost(pages: Record<string, Record<string, string>>): Promise<StaticServer> {
  return startStaticServer(WIDGET_HOST_PORT, {
    pages: Object.fromEntries(
      Object.entries(pages).map(([path, attributes]) => [path, { body: widgetHostPage(attributes) }]),
    ),
  });
}

/** The widget's iframe (it is in a closed shadow root: reached through the page's frames). */
export async function embedFrame(page: Page): Promise<Frame> {
  const find = () => page.frames().find((f) => f.url().startsWith(`${APP_URL}/embed`));
  await expect.poll(() => find() !== undefined).toBe(true);
  return find()!;
}

/**
 * Walks the widget on a host page served by startWidgetHost: the panel with the model ready, the consent card
 * for a prompt the router escalates, and the answer with its note once the user said no.
 */
export async function walkWidget(page: Page, visit: Visit, hostPath: string): Promise<Frame> {
  await fake('reset');
  // The deployment's endpoint is a proxy that adds the key itself: the widget sends none.
  await fake('auth', { required: false });
  await page.goto(`${WIDGET_HOST_ORIGIN}${hostPath}`);
  const embed = await embedFrame(page);
  await expect(embed.getByTestId('embed-app')).toHaveAttribute('data-phase', 'ready', { timeout: 60_000 });
  await visit('widget panel', embed);

  void page.evaluate(
    (prompt) =>
      (document.querySelector('petit-chat') as unknown as { send(p: string): Promise<unknown> })
        .send(prompt)
        .catch(() => undefined),
    ESCALATING_PROMPT,
  );
  await expect(embed.getByTestId('embed-consent')).toBeVisible({ timeout: 60_000 });
  await visit('widget consent card', embed);
  await embed.getByTestId('embed-consent-cancel').click();
  await expect(embed.getByTestId('embed-note')).toBeVisible();
  await expect(embed.getByTestId('embed-message-assistant').last()).toHaveAttribute(
    'data-status',
    /complete|error/,
    { timeout: 60_000 },
  );
  await visit('widget with an answer and a note', embed);
  return embed;
}

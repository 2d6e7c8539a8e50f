import { chromium, type Frame, type Page } from '@playwright/test';
import { APP_URL, PROVIDER_KEY, PROVIDER_URL } from './env.ts';
import { fake } from './fake-provider-client.ts';
import { CHROMIUM_ARGS, chromiumPath, expect, loadFromPicker, test } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN, WIDGET_HOST_PORT } from './pwa-env.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

const WIDTHS = [320, 390];

interface Overflow {
  scrollWidth: number;
  innerWidth: number;
  /** Visible controls whose box reaches past the viewport's right or left edge. */
  outside: string[];
}

/** What a user would have to scroll sideways to see, in the page or frame given. */
async function overflow(target: Page | Frame): Promise<Overflow> {
  return target.evaluate(() => {
    const outside: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>(
      'button, select, input, textarea, a, [role="button"], dialog[open], .bubble',
    );
    for (const el of controls) {
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      // Off-canvas on purpose (the closed conversation drawer is translated out of view).
      if (el.closest('[inert], .sidebar') && !document.querySelector('.sidebar-open')) continue;
      if (box.right > innerWidth + 0.5 || box.left < -0.5) {
        const name = el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? el.textContent;
        outside.push(
          `${el.tagName.toLowerCase()} "${(name ?? '').trim().slice(0, 40)}" ${Math.round(box.left)}..${Math.round(box.right)}`,
        );
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, outside };
  });
}

async function expectFits(target: Page | Frame, what: string): Promise<void> {
  const o = await overflow(target);
  expect(o.outside, `${what}: controls past the edge of a ${o.innerWidth} px screen`).toEqual([]);
  expect(o.scrollWidth, `${what}: page width on a ${o.innerWidth} px screen`).toBeLessThanOrEqual(
    o.innerWidth,
  );
}

/** Opens the phone's conversation drawer and waits until it has slid in, to measure it in place. */
async function openDrawer(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Conversations' }).click();
  await expect
    .poll(() => page.locator('.sidebar').evaluate((e) => getComputedStyle(e).transform))
    .toBe('none');
}

const PROVIDER_CONFIG = { presetId: 'openai', model: 'gpt-4o-mini', baseUrl: `${PROVIDER_URL}/v1` };

test.describe('layout on narrow phone screens', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16 },
    extraAllowedOrigins: [new URL(PROVIDER_URL).origin],
  });

  for (const width of WIDTHS) {
    test(`${width} px: the chat, the picker and every dialog fit without sideways scrolling`, async ({
      page,
    }) => {
      await fake('reset');
      await page.addInitScript(
        (config) => {
          if (!localStorage.getItem('petit.escalation.v1'))
            localStorage.setItem('petit.escalation.v1', JSON.stringify(config));
        },
        { mode: 'ask', provider: PROVIDER_CONFIG, redact: true, consent: { auto: [], conversations: {} } },
      );
      await page.setViewportSize({ width, height: 740 });
      await page.goto('/');
      await expect(page.getByTestId('model-select')).toBeVisible();
      await expectFits(page, 'main screen');

      // The longest catalog name selected: the select must not grow to its width.
      const longest = await page.getByTestId('model-select').evaluate((s: HTMLSelectElement) => {
        const options = [...s.options].sort((a, b) => b.text.length - a.text.length);
        return options[0]!.value;
      });
      await page.getByTestId('model-select').selectOption(longest);
      await expectFits(page, 'picker with the longest name');
      expect(await page.getByTestId('model-select').getAttribute('title')).not.toBe('');
      expect(
        await page
          .getByTestId('model-select')
          .evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.text.startsWith(s.title)),
      ).toBe(true);

      await openDrawer(page);
      await expectFits(page, 'conversation drawer');
      await page.locator('.sidebar-scrim').click({ position: { x: width - 5, y: 300 } });

      for (const [open, close, what] of [
        ['open-models', 'close-models', 'Models'],
        ['open-settings', null, 'Settings'],
        ['open-provider', 'provider-close', 'Remote model'],
        ['open-savings', null, 'Savings'],
      ] as const) {
        await page.getByTestId(open).click();
        await expect(page.locator('dialog[open]')).toBeVisible();
        await expectFits(page, what);
        if (what === 'Models') {
          // A name cut short by the narrow list keeps its full text as a title.
          const cut = await page
            .locator('.catalog-name')
            .evaluateAll((names) =>
              names
                .filter((n) => n.scrollWidth > n.clientWidth + 1)
                .map((n) => ({ title: n.getAttribute('title'), text: n.textContent })),
            );
          for (const name of cut) expect(name.title).toBe(name.text);
        }
        if (close) await page.getByTestId(close).click();
        else await page.keyboard.press('Escape');
        await expect(page.locator('dialog[open]')).toHaveCount(0);
      }

      // The key, then a prompt the router sends further: the consent dialog opens.
      await page.getByTestId('open-provider').click();
      await page.getByTestId('provider-key').fill(PROVIDER_KEY);
      await page.getByTestId('provider-save-key').click();
      await page.getByTestId('provider-close').click();
      await loadFromPicker(page, 'tiny-llama', 'q8');
      await page.getByTestId('prompt').fill('Prove that the square root of 2 is irrational, rigorously.');
      await page.getByTestId('prompt').press('Enter');
      await expect(page.getByTestId('consent-dialog')).toBeVisible({ timeout: 60_000 });
      await expectFits(page, 'consent dialog');
      await page.getByTestId('consent-cancel').click();
      await expect(page.getByTestId('message-assistant').last()).toHaveAttribute(
        'data-status',
        /complete|error/,
        {
          timeout: 60_000,
        },
      );
      await expectFits(page, 'chat with answers and notes');

      // The conversation's icons are drawn (SVG), not font glyphs that can render as empty boxes.
      await openDrawer(page);
      const remove = page
        .getByTestId('conversation')
        .first()
        .getByRole('button', { name: /^Delete/ });
      await expect(remove).toBeVisible();
      await expect(remove).toHaveText('');
      const icon = await remove.locator('svg').boundingBox();
      expect(icon!.width).toBeGreaterThan(8);
      await expectFits(page, 'conversation drawer with a conversation');
    });
  }
});

test.describe('the widget panel', () => {
  let host: StaticServer;
  test.use({ extraAllowedOrigins: [WIDGET_HOST_ORIGIN] });
  test.beforeAll(async () => {
    const page = `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head><body style="margin:0">
<petit-chat model="tiny-llama" placement="inline" greeting="Hello from the shop's assistant"></petit-chat>
<script type="module" src="${APP_URL}/widget.js"></script></body></html>`;
    host = await startStaticServer(WIDGET_HOST_PORT, { pages: { '/shop.html': { body: page } } });
  });
  test.afterAll(async () => {
    await host?.close();
  });

  test('fits a 320 px screen', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(`${WIDGET_HOST_ORIGIN}/shop.html`);
    // The iframe is in a closed shadow root: reach it through the page's frames.
    await expect.poll(() => page.frames().some((f) => f.url().includes('/embed'))).toBe(true);
    const inner = page.frames().find((f) => f.url().includes('/embed'))!;
    await expect(inner.getByTestId('prompt')).toBeVisible({ timeout: 60_000 });
    await expectFits(inner, 'widget panel');
    await expectFits(page, 'host page with the widget');
  });
});

test('touch screen: the main screen’s controls are at least 44 × 44 px', async () => {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, '--disable-gpu'],
  });
  try {
    const context = await browser.newContext({
      baseURL: APP_URL,
      viewport: { width: 390, height: 800 },
      hasTouch: true,
      isMobile: true,
      serviceWorkers: 'block',
    });
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByTestId('model-select')).toBeVisible();
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.app button, .app select, .app input, .app textarea')]
        .filter((el) => el.getBoundingClientRect().width > 0)
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width < 44 - 0.5 || box.height < 44 - 0.5)
        .map(
          ({ el, box }) =>
            `${el.tagName.toLowerCase()} "${(el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`,
        ),
    );
    expect(small, 'controls smaller than 44 × 44 px on a touch screen').toEqual([]);
    await context.close();
  } finally {
    await browser.close();
  }
});

test('installed on a phone with a notch: the header and the composer stay clear of the safe-area insets', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 800 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setSafeAreaInsetsOverride', {
    insets: { top: 47, bottom: 34, left: 0, right: 0 },
  });
  await page.goto('/');
  await expect(page.getByTestId('model-select')).toBeVisible();
  const brand = await page.locator('.brand').boundingBox();
  expect(brand!.y).toBeGreaterThanOrEqual(47);
  const composer = await page.locator('.composer').boundingBox();
  expect(composer!.y + composer!.height).toBeLessThanOrEqual(800 - 34);
  await page.getByRole('button', { name: 'Conversations' }).click();
  await expect
    .poll(() => page.locator('.sidebar').evaluate((e) => getComputedStyle(e).transform))
    .toBe('none');
  const newChat = await page.getByTestId('new-chat').boundingBox();
  expect(newChat!.y).toBeGreaterThanOrEqual(47);
});

test('one look for every control: the header select and the Remote model fields match the picker, in light and dark', async ({
  page,
}) => {
  const look = (testId: string) =>
    page.getByTestId(testId).evaluate((el) => {
      const s = getComputedStyle(el);
      return [s.backgroundColor, s.borderTopColor, s.borderTopLeftRadius, s.color].join(' ');
    });
  await page.goto('/');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const picker = await look('model-select');
    expect(await look('escalation-mode'), `${scheme}: the header's mode select`).toBe(picker);
    // "Remote model" on one line: as tall as its single-word neighbours.
    const remote = await page.getByTestId('open-provider').boundingBox();
    const savings = await page.getByTestId('open-savings').boundingBox();
    expect(remote!.height).toBe(savings!.height);
    await page.getByTestId('open-provider').click();
    for (const field of ['provider-preset', 'provider-base-url', 'provider-model'])
      expect(await look(field), `${scheme}: ${field}`).toBe(picker);
    await page.getByTestId('provider-close').click();
  }
});

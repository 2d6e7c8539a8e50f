import { chromium, type Frame, type Page } from '@playwright/test';
import { APP_URL } from './env.ts';
import { CHROMIUM_ARGS, chromiumPath, expect, test } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN } from './pwa-env.ts';
import {
  askModeWithFakeProvider,
  openDrawer,
  PROVIDER_ORIGIN,
  startWidgetHost,
  walkApp,
  walkWidget,
  WALK_SETTINGS,
  type Screen,
} from './screens.ts';
import type { StaticServer } from './static-server.ts';

const WIDTHS = [320, 360, 390];

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

/** Checks some screens need beyond fitting the width. */
async function screenChecks(screen: Screen, page: Page): Promise<void> {
  if (screen === 'picker with the longest name') {
    // The select shows the start of the name; its title has the whole name.
    const select = page.getByTestId('model-select');
    expect(await select.getAttribute('title')).not.toBe('');
    expect(
      await select.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.text.startsWith(s.title)),
    ).toBe(true);
  }
  if (screen === 'Models') {
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
  if (screen === 'conversation drawer with a conversation') {
    // The conversation's icons are drawn (SVG), not font glyphs that can render as empty boxes.
    const remove = page
      .getByTestId('conversation')
      .first()
      .getByRole('button', { name: /^Delete/ });
    await expect(remove).toBeVisible();
    await expect(remove).toHaveText('');
    const icon = await remove.locator('svg').boundingBox();
    expect(icon!.width).toBeGreaterThan(8);
  }
}

test.describe('layout on narrow phone screens', () => {
  test.use({ initialSettings: WALK_SETTINGS, extraAllowedOrigins: [PROVIDER_ORIGIN] });

  for (const width of WIDTHS) {
    test(`${width} px: the chat, the picker and every dialog fit without sideways scrolling`, async ({
      page,
    }) => {
      await askModeWithFakeProvider(page);
      await page.setViewportSize({ width, height: 740 });
      const seen: Screen[] = [];
      await walkApp(page, async (screen, target) => {
        seen.push(screen);
        await expectFits(target, screen);
        await screenChecks(screen, page);
      });
      // The walk stops at the phone's drawer too (a test that cannot skip it silently).
      expect(seen).toContain('conversation drawer with a conversation');
    });
  }
});

test.describe('the widget panel', () => {
  let host: StaticServer;
  test.use({
    initialSettings: WALK_SETTINGS,
    extraAllowedOrigins: [WIDGET_HOST_ORIGIN, PROVIDER_ORIGIN],
  });
  test.beforeAll(async () => {
    host = await startWidgetHost({ '/shop.html': {} });
  });
  test.afterAll(async () => {
    await host?.close();
  });

  for (const width of WIDTHS) {
    test(`fits a ${width} px screen, with the consent card and an answer`, async ({ page }) => {
      await page.setViewportSize({ width, height: 640 });
      await walkWidget(
        page,
        async (screen, embed) => {
          await expectFits(embed, screen);
          await expectFits(page, `host page with the ${screen}`);
        },
        '/shop.html',
      );
    });
  }
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
  await openDrawer(page);
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

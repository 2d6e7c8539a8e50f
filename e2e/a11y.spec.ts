/**
 * axe on every screen of the walk (e2e/screens.ts), in English and French, light and dark, desktop and phone:
 * no violation of impact serious or critical. One model load per test; the theme is switched in place
 * (the app follows the system's colour scheme by default). Violations are listed once per rule and element,
 * with the screens, language, theme and viewport where they were seen.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN } from './pwa-env.ts';
import {
  askModeWithFakeProvider,
  PROVIDER_ORIGIN,
  startWidgetHost,
  walkApp,
  walkWidget,
  WALK_SETTINGS,
  type Screen,
} from './screens.ts';
import type { StaticServer } from './static-server.ts';

const LANGUAGES = ['en', 'fr'] as const;
const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
const THEMES = ['light', 'dark'] as const;

interface Found {
  rule: string;
  impact: string;
  help: string;
  target: string;
  /** Where it was seen: screen, language, theme, viewport. */
  where: string[];
}

/** Runs axe in both themes and records serious and critical violations, one entry per rule and element. */
async function audit(page: Page, screen: Screen, context: string, found: Map<string, Found>): Promise<void> {
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    // The theme changes colours only, not the DOM: in dark, contrast is all there is left to check.
    const axe = new AxeBuilder({ page });
    const results = await (theme === 'dark' ? axe.withRules(['color-contrast']) : axe).analyze();
    for (const v of results.violations) {
      if (v.impact !== 'serious' && v.impact !== 'critical') continue;
      for (const node of v.nodes) {
        const target = node.target.map((t) => (Array.isArray(t) ? t.join(' >> ') : t)).join(' | ');
        const key = `${v.id} ${target}`;
        const entry = found.get(key) ?? { rule: v.id, impact: v.impact, help: v.help, target, where: [] };
        entry.where.push(`${screen} (${context}, ${theme})`);
        found.set(key, entry);
      }
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

function report(found: Map<string, Found>): string[] {
  return [...found.values()].map(
    (f) =>
      `${f.impact} ${f.rule}: ${f.target}\n    ${f.help}\n    seen on: ${f.where.slice(0, 4).join('; ')}${
        f.where.length > 4 ? ` and ${f.where.length - 4} more` : ''
      }`,
  );
}

for (const language of LANGUAGES) {
  test.describe(`axe, ${language}`, () => {
    test.use({
      initialSettings: { ...WALK_SETTINGS, language },
      extraAllowedOrigins: [PROVIDER_ORIGIN],
    });

    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      test(`${name} (${viewport.width} px), light and dark: no serious or critical violation on any screen`, async ({
        page,
      }) => {
        test.setTimeout(150_000);
        await askModeWithFakeProvider(page);
        await page.setViewportSize(viewport);
        const found = new Map<string, Found>();
        const seen: Screen[] = [];
        await walkApp(page, async (screen) => {
          seen.push(screen);
          await expect(page.locator('html')).toHaveAttribute('lang', language);
          await audit(page, screen, `${language}, ${name}`, found);
        });
        expect(seen.length).toBeGreaterThanOrEqual(8);
        expect(report(found), 'axe: serious and critical violations').toEqual([]);
      });
    }
  });
}

test.describe('axe, the widget', () => {
  let host: StaticServer;
  test.use({
    initialSettings: WALK_SETTINGS,
    extraAllowedOrigins: [WIDGET_HOST_ORIGIN, PROVIDER_ORIGIN],
  });
  test.beforeAll(async () => {
    host = await startWidgetHost({ '/en.html': {}, '/fr.html': { lang: 'fr' } });
  });
  test.afterAll(async () => {
    await host?.close();
  });

  for (const language of LANGUAGES) {
    test(`${language}, phone (390 px), light and dark: no serious or critical violation in the panel`, async ({
      page,
    }) => {
      await page.setViewportSize(VIEWPORTS.phone);
      const found = new Map<string, Found>();
      // axe reaches into the widget's iframe from the host page.
      await walkWidget(
        page,
        async (screen) => audit(page, screen, `${language}, phone`, found),
        `/${language}.html`,
      );
      expect(report(found), 'axe: serious and critical violations').toEqual([]);
    });
  }
});

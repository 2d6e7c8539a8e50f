/**
 * Every string a user sees or hears comes from a catalog (issue 17), judged on every screen of the walk
 * (e2e/screens.ts):
 * - pseudo-locale (`?i18n=pseudo` wraps each catalog message in ⟦ ⟧): no letter may be left outside the markers,
 *   except inside `translate="no"` (user data, model names, the brand);
 * - French: no text or label equal to an English catalog message whose French differs (English left behind);
 * - the widget's panel, with `<petit-chat lang="fr">`, gets both checks.
 */
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import type { Frame, Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN } from './pwa-env.ts';
import {
  askModeWithFakeProvider,
  embedFrame,
  PROVIDER_ORIGIN,
  startWidgetHost,
  walkApp,
  walkWidget,
  WALK_SETTINGS,
  type Screen,
} from './screens.ts';
import type { StaticServer } from './static-server.ts';

interface Segment {
  text: string;
  selector: string;
}
interface Collected {
  /** Visible text nodes in document order. */
  segments: Segment[];
  /** The text of elements with mixed content (a message split by an argument), labels, options. */
  labels: (Segment & { kind: string })[];
}

/**
 * Runs in the page: what a user sees or hears, outside `translate="no"`. `shadow` reads the widget's (closed)
 * shadow root, kept by the host page's init script.
 */
function collect(where: 'document' | 'shadow'): Collected {
  const root: ParentNode | undefined =
    where === 'shadow'
      ? (window as unknown as { petitShadowRoots?: ShadowRoot[] }).petitShadowRoots?.[0]
      : document.body;
  const out: Collected = { segments: [], labels: [] };
  if (!root) return out;
  const selectorOf = (el: Element): string => {
    const parts: string[] = [];
    for (let e: Element | null = el; e && parts.length < 3 && e !== document.body; e = e.parentElement) {
      const tag = e.tagName.toLowerCase();
      const testId = e.getAttribute('data-testid');
      if (testId) {
        parts.unshift(`${tag}[data-testid="${testId}"]`);
        break;
      }
      if (e.id) {
        parts.unshift(`${tag}#${e.id}`);
        break;
      }
      parts.unshift(
        tag +
          [...e.classList]
            .slice(0, 2)
            .map((c) => `.${c}`)
            .join(''),
      );
    }
    return parts.join(' > ');
  };
  const onScreen = (r: DOMRect) => r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth;
  const shown = (el: Element) =>
    el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
    onScreen(el.getBoundingClientRect());
  const notOurs = (el: Element) => el.closest('[translate="no"]') !== null;
  const skipped = 'script, style, noscript, template, select, textarea';

  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.textContent ?? '';
    if (!parent || !text.trim() || parent.closest(skipped) || notOurs(parent)) continue;
    if (!parent.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    range.selectNodeContents(node);
    if (![...range.getClientRects()].some(onScreen)) continue;
    out.segments.push({ text, selector: selectorOf(parent) });
  }
  for (const el of root.querySelectorAll('*')) {
    if (notOurs(el) || el.closest(skipped) || !shown(el)) continue;
    const mixed =
      el.childNodes.length > 1 &&
      [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
    if (mixed && (el.textContent ?? '').length < 400)
      out.labels.push({ kind: 'text', text: el.textContent ?? '', selector: selectorOf(el) });
    for (const attr of [
      'aria-label',
      'aria-description',
      'aria-roledescription',
      'aria-valuetext',
      'title',
      'placeholder',
      'alt',
    ]) {
      const value = el.getAttribute(attr);
      if (value?.trim()) out.labels.push({ kind: attr, text: value, selector: selectorOf(el) });
    }
  }
  // Heard, not seen: a chart's name, and the page's title (the tab, and what a screen reader says first).
  for (const title of root.querySelectorAll('svg title')) {
    const svg = title.closest('svg');
    if (svg && !notOurs(title) && shown(svg) && title.textContent?.trim())
      out.labels.push({ kind: 'svg title', text: title.textContent, selector: selectorOf(svg) });
  }
  if (where === 'document' && document.title.trim())
    out.labels.push({ kind: 'document title', text: document.title, selector: 'title' });
  for (const select of root.querySelectorAll('select')) {
    if (notOurs(select) || !shown(select)) continue;
    for (const option of select.options)
      if (!notOurs(option) && option.text.trim())
        out.labels.push({ kind: 'option', text: option.text, selector: selectorOf(select) });
  }
  return out;
}

async function collectFrom(target: Page | Frame, where: 'document' | 'shadow' = 'document') {
  return target.evaluate(collect, where);
}

/** Offenders across screens, once per element and text, with the first screen each was seen on. */
class Offenders {
  readonly #seen = new Map<string, string>();
  add(screen: string, selector: string, what: string): void {
    const key = `${selector} ${what}`;
    if (!this.#seen.has(key)) this.#seen.set(key, `${screen}: ${selector} ${what}`);
  }
  list(): string[] {
    return [...this.#seen.values()];
  }
}

const INNERMOST = /⟦[^⟦⟧]*⟧/g;
/** Blanks every ⟦…⟧ (innermost first, so nested messages go too), keeping the offsets. */
function stripMarkers(text: string): string {
  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text.replace(INNERMOST, (m) => ' '.repeat(m.length));
  }
  return text;
}
const LETTER = /\p{L}/u;
const clip = (s: string) => JSON.stringify(s.replace(/\s+/g, ' ').trim().slice(0, 90));

/** Letters left outside ⟦ ⟧: the visible text read as one run (a message may span elements), then each label. */
function checkPseudo(screen: string, c: Collected, offenders: Offenders): void {
  // The pseudo-locale is on (else every text would be reported, for a reason the list would not say).
  expect(
    c.segments.some((s) => s.text.includes('⟦')),
    `${screen}: no ⟦ ⟧ anywhere, is ?i18n=pseudo on?`,
  ).toBe(true);
  const stripped = stripMarkers(c.segments.map((s) => s.text).join(''));
  let at = 0;
  for (const s of c.segments) {
    const left = stripped.slice(at, at + s.text.length);
    at += s.text.length;
    if (LETTER.test(left)) offenders.add(screen, s.selector, `text ${clip(s.text)}`);
  }
  for (const l of c.labels)
    if (l.kind !== 'text' && LETTER.test(stripMarkers(l.text)))
      offenders.add(screen, l.selector, `${l.kind} ${clip(l.text)}`);
}

// --- English left behind in French -------------------------------------------------------------------------

const LOCALES = fileURLToPath(new URL('../src/i18n/locales/', import.meta.url));
const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

function flatten(tree: unknown, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') into.set(path, value);
    else flatten(value, path, into);
  }
  return into;
}

function catalog(language: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const file of readdirSync(join(LOCALES, language)).filter((f) => f.endsWith('.json'))) {
    const tree: unknown = JSON.parse(readFileSync(join(LOCALES, language, file), 'utf8'));
    for (const [k, v] of flatten(tree)) all.set(`${file.replace(/\.json$/, '')}:${k}`, v);
  }
  return all;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An ICU message as a regular expression on its rendered text: arguments match anything, plurals any branch. */
function pattern(elements: MessageFormatElement[]): { source: string; letters: number } {
  let source = '';
  let letters = 0;
  for (const el of elements) {
    if (el.type === TYPE.literal) {
      source += escape(el.value.replace(/\s+/g, ' '));
      letters += (el.value.match(/\p{L}/gu) ?? []).length;
    } else if (el.type === TYPE.plural || el.type === TYPE.select) {
      const options = Object.values(el.options).map((o) => pattern(o.value));
      source += `(?:${options.map((o) => o.source).join('|')})`;
      letters += Math.min(...options.map((o) => o.letters));
    } else if (el.type === TYPE.tag) {
      const inner = pattern(el.children);
      source += inner.source;
      letters += inner.letters;
    } else source += '.+?';
  }
  return { source, letters };
}

interface EnglishMatcher {
  exact: Map<string, string>;
  patterns: { re: RegExp; key: string }[];
}

/** English messages whose French differs (or is missing, so English would show), minus any text French uses too. */
function englishLeftBehind(): EnglishMatcher {
  const en = catalog('en');
  const fr = catalog('fr');
  const frenchTexts = new Set([...fr.values()].map(normalize));
  const matcher: EnglishMatcher = { exact: new Map(), patterns: [] };
  for (const [key, message] of en) {
    if (fr.get(key) === message || frenchTexts.has(normalize(message))) continue;
    let ast: MessageFormatElement[];
    try {
      ast = parse(message);
    } catch {
      continue; // The catalog test reports invalid messages.
    }
    if (ast.every((el) => el.type === TYPE.literal)) {
      const text = normalize(message);
      if (LETTER.test(text)) matcher.exact.set(text, key);
      continue;
    }
    const { source, letters } = pattern(ast);
    // A message that is mostly arguments ("{a} · {b}") would match anything.
    if (letters >= 4) matcher.patterns.push({ re: new RegExp(`^${source}$`, 'u'), key });
  }
  return matcher;
}

function englishKey(matcher: EnglishMatcher, text: string): string | undefined {
  const t = normalize(text);
  if (!LETTER.test(t)) return undefined;
  return matcher.exact.get(t) ?? matcher.patterns.find((p) => p.re.test(t))?.key;
}

function checkFrench(screen: string, c: Collected, matcher: EnglishMatcher, offenders: Offenders): void {
  for (const item of [...c.segments.map((s) => ({ ...s, kind: 'text' })), ...c.labels]) {
    const key = englishKey(matcher, item.text);
    if (key) offenders.add(screen, item.selector, `${item.kind} ${clip(item.text)} (English of ${key})`);
  }
}

// --- The specs ---------------------------------------------------------------------------------------------

/** Both layouts: some words show only on one (the menu button on a phone, the tagline from 1440 px). */
const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1440, height: 900 },
} as const;

test.describe('every string from a catalog', () => {
  test.use({
    initialSettings: WALK_SETTINGS,
    extraAllowedOrigins: [PROVIDER_ORIGIN],
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    test(`pseudo-locale, ${name} (${viewport.width} px): no letter outside ⟦ ⟧ on any screen, data aside (translate="no")`, async ({
      page,
    }) => {
      await askModeWithFakeProvider(page);
      await page.setViewportSize(viewport);
      const offenders = new Offenders();
      const seen: Screen[] = [];
      await walkApp(
        page,
        async (screen) => {
          seen.push(screen);
          checkPseudo(screen, await collectFrom(page), offenders);
        },
        '/?i18n=pseudo',
      );
      expect(seen).toContain('chat with answers and notes');
      expect(offenders.list(), 'text shown without a catalog (screen: element and text)').toEqual([]);
    });
  }
});

test.describe('French', () => {
  test.use({
    initialSettings: { ...WALK_SETTINGS, language: 'fr' },
    extraAllowedOrigins: [PROVIDER_ORIGIN],
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    test(`${name} (${viewport.width} px): no English catalog message left on any screen`, async ({
      page,
    }) => {
      const matcher = englishLeftBehind();
      // The check has something to find: the English of the main screen's buttons is in the catalog.
      expect(matcher.exact.size + matcher.patterns.length).toBeGreaterThan(0);
      await askModeWithFakeProvider(page);
      await page.setViewportSize(viewport);
      const offenders = new Offenders();
      await walkApp(page, async (screen) => {
        await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
        checkFrench(screen, await collectFrom(page), matcher, offenders);
      });
      expect(offenders.list(), 'English left in French (screen: element and text)').toEqual([]);
    });
  }
});

test.describe('the widget', () => {
  let host: StaticServer;
  test.use({
    initialSettings: WALK_SETTINGS,
    extraAllowedOrigins: [WIDGET_HOST_ORIGIN, PROVIDER_ORIGIN],
  });
  test.beforeAll(async () => {
    host = await startWidgetHost({ '/fr.html': { lang: 'fr' }, '/en.html': {} });
  });
  test.afterAll(async () => {
    await host?.close();
  });

  /** Keeps the widget's closed shadow root, as a nosy host could, to read the labels it draws on the host page. */
  async function keepShadowRoots(page: Page): Promise<void> {
    await page.addInitScript(() => {
      const roots: ShadowRoot[] = [];
      (window as unknown as { petitShadowRoots: ShadowRoot[] }).petitShadowRoots = roots;
      const attach = Element.prototype.attachShadow;
      Element.prototype.attachShadow = function (init) {
        const root = attach.call(this, init);
        roots.push(root);
        return root;
      };
    });
  }

  /** The widget passes `lang` to its embed page (skips, saying so, while it does not). */
  async function skipUnlessLangPassed(page: Page): Promise<void> {
    const url = new URL((await embedFrame(page)).url());
    test.skip(
      url.searchParams.get('lang') !== 'fr',
      `<petit-chat lang="fr"> is not passed to the embed page yet (its URL: ${url.pathname}${url.search}); src/widget/widget.ts`,
    );
  }

  test('pseudo-locale: no letter outside ⟦ ⟧ in the panel', async ({ page }) => {
    // The pseudo-locale is the embed page's own switch: added to its address before its module runs (once
    // parsed; changing the address of a frame still being created crashes Chromium's renderer).
    await page.addInitScript(() => {
      if (!location.pathname.startsWith('/embed') || location.search.includes('i18n=pseudo')) return;
      document.addEventListener('readystatechange', () => {
        if (document.readyState === 'interactive')
          history.replaceState(null, '', `${location.pathname}${location.search || '?'}&i18n=pseudo`);
      });
    });
    const offenders = new Offenders();
    await walkWidget(
      page,
      async (screen, embed) => checkPseudo(screen, await collectFrom(embed), offenders),
      '/en.html',
    );
    expect(offenders.list(), 'text shown without a catalog (screen: element and text)').toEqual([]);
  });

  test('lang="fr": the panel and the widget’s own labels are in French, no English left', async ({
    page,
  }) => {
    await keepShadowRoots(page);
    const matcher = englishLeftBehind();
    const offenders = new Offenders();
    await page.goto(`${WIDGET_HOST_ORIGIN}/en.html`);
    await expect.poll(async () => (await collectFrom(page, 'shadow')).labels.length).toBeGreaterThan(0);
    const english = await collectFrom(page, 'shadow');

    await walkWidget(
      page,
      async (screen, embed) => {
        if (screen === 'widget panel') {
          await skipUnlessLangPassed(page);
          await expect(embed.locator('html')).toHaveAttribute('lang', 'fr');
        }
        checkFrench(screen, await collectFrom(embed), matcher, offenders);
      },
      '/fr.html',
    );
    // The widget draws its bar and buttons on the host page, outside the catalogs: no label as in English.
    const french = await collectFrom(page, 'shadow');
    const englishLabels = new Set(english.labels.map((l) => normalize(l.text)));
    for (const l of french.labels)
      if (LETTER.test(l.text) && englishLabels.has(normalize(l.text)))
        offenders.add('widget on the host page', `petit-chat ${l.selector}`, `${l.kind} ${clip(l.text)}`);
    expect(offenders.list(), 'English left in French (screen: element and text)').toEqual([]);
  });
});

/**
 * `<petit-chat lang="fr">`: the chat in the host page's iframe speaks French (no English catalog message left in
 * it), errors included, switches language in place when the attribute changes, and a keyboard user can close the
 * panel with Escape and find the focus back on the launcher.
 */
import type { Frame, Page } from '@playwright/test';
import type { PetitChatElement } from '../src/widget/widget.ts';
import enChat from '../src/i18n/locales/en/chat.json' with { type: 'json' };
import enEmbed from '../src/i18n/locales/en/embed.json' with { type: 'json' };
import enErrors from '../src/i18n/locales/en/errors.json' with { type: 'json' };
import enEscalation from '../src/i18n/locales/en/escalation.json' with { type: 'json' };
import frChat from '../src/i18n/locales/fr/chat.json' with { type: 'json' };
import frEmbed from '../src/i18n/locales/fr/embed.json' with { type: 'json' };
import frErrors from '../src/i18n/locales/fr/errors.json' with { type: 'json' };
import frEscalation from '../src/i18n/locales/fr/escalation.json' with { type: 'json' };
import { APP_URL } from './env.ts';
import { expect, test } from './fixtures.ts';
import { WIDGET_HOST_ORIGIN, WIDGET_HOST_PORT } from './pwa-env.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

/** A host page; its first script keeps the widget's (closed) shadow root, to look at the launcher's focus. */
function hostPage(attributes: string, htmlLang = 'en'): string {
  return `<!doctype html><html lang="${htmlLang}"><head><title>Une boutique</title><script>
window.shadowRoots = [];
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { const root = attach.call(this, init); shadowRoots.push(root); return root; };
</script></head><body><h1>Une boutique</h1>
<petit-chat ${attributes}></petit-chat>
<script type="module" src="${APP_URL}/widget.js"></script>
</body></html>`;
}

let host: StaticServer;
test.beforeAll(async () => {
  host = await startStaticServer(WIDGET_HOST_PORT, {
    pages: {
      '/fr.html': {
        body: hostPage(
          'lang="fr" model="tiny-llama" placement="inline" greeting="Bonjour, que puis-je faire ?"',
        ),
      },
      '/fr-unknown.html': { body: hostPage('lang="fr" model="no-such-model" placement="inline"') },
      '/floating.html': { body: hostPage('model="tiny-llama"', 'fr-FR') },
    },
  });
});
test.afterAll(async () => host?.close());
test.use({ extraAllowedOrigins: [WIDGET_HOST_ORIGIN] });

async function embedFrame(page: Page): Promise<Frame> {
  const find = () => page.frames().find((f) => f.url().startsWith(`${APP_URL}/embed`));
  await expect.poll(() => find() !== undefined).toBe(true);
  return find()!;
}

function flatten(tree: unknown, out: string[] = []): string[] {
  for (const value of Object.values(tree as Record<string, unknown>))
    if (typeof value === 'string') out.push(value);
    else flatten(value, out);
  return out;
}

/**
 * What an English message would show, as literal text: the whole message when it takes no argument, else its
 * longest literal run (at least 12 characters, so "Send" alone does not match a French word).
 */
function englishLeftovers(en: unknown, fr: unknown): string[] {
  const french = new Set(flatten(fr));
  return flatten(en)
    .filter((m) => !french.has(m))
    .map((m) =>
      m.includes('{')
        ? m
            .split(/[{}]/)
            .filter((part) => !/^\s*[\w-]+\s*(,|$)/.test(part))
            .sort((a, b) => b.length - a.length)[0]
        : m,
    )
    .filter((piece): piece is string => piece !== undefined && piece.trim().length >= 12);
}
const ENGLISH = [
  ...englishLeftovers(enEmbed, frEmbed),
  ...englishLeftovers(enErrors, frErrors),
  ...englishLeftovers(enChat, frChat),
  ...englishLeftovers(enEscalation, frEscalation),
];

/** Visible text and the labels a screen reader reads, outside translate="no". */
function shownText(frame: Frame): Promise<string[]> {
  return frame.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (el.closest('[translate="no"]') || !node.textContent?.trim()) continue;
      if (el.checkVisibility() || el.closest('[aria-live]')) out.push(node.textContent.trim());
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
      for (const name of ['aria-label', 'title', 'placeholder'])
        if (el.getAttribute(name)) out.push(el.getAttribute(name)!);
    return out;
  });
}

test('lang="fr": the chat speaks French, says a finished answer once, and switches to English in place', async ({
  page,
}) => {
  await page.goto(`${WIDGET_HOST_ORIGIN}/fr.html`);
  const embed = await embedFrame(page);
  expect(new URL(embed.url()).searchParams.get('lang')).toBe('fr');
  await expect(embed.getByTestId('embed-threads')).toContainText('1 fil d’exécution', { timeout: 60_000 });
  await expect(embed.locator('html')).toHaveAttribute('lang', 'fr');

  // Every text the live region takes, from now on.
  await embed.evaluate(() => {
    const region = document.querySelector('[data-testid=embed-announce]')!;
    const said: string[] = [];
    (window as unknown as { said: string[] }).said = said;
    new MutationObserver(() => said.push(region.textContent ?? '')).observe(region, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  const answer = await page.evaluate(() =>
    (document.querySelector('petit-chat') as PetitChatElement).send('Parlez-moi de la boutique.'),
  );
  await expect(embed.getByTestId('embed-message-assistant')).toHaveAttribute('data-status', 'complete');
  // The live region holds the finished answer, once (it was empty while the answer streamed).
  await expect(embed.getByTestId('embed-announce')).toHaveText(`Réponse terminée : ${answer.text}`, {
    useInnerText: true,
  });
  const said = await embed.evaluate(() => (window as unknown as { said: string[] }).said);
  expect(said.filter((text) => text.trim())).toEqual([`Réponse terminée\u00a0: ${answer.text}`]);
  await expect(embed.getByRole('textbox')).toHaveAttribute('placeholder', frChat.composer.placeholder);

  const shown = await shownText(embed);
  const english = shown.filter((text) => ENGLISH.some((piece) => text.includes(piece.trim())));
  expect(english, 'English catalog text in the French chat').toEqual([]);

  // The host changes its mind: same conversation, now in English.
  await page.evaluate(() => document.querySelector('petit-chat')!.setAttribute('lang', 'en'));
  await expect(embed.getByTestId('embed-threads')).toContainText('1 thread:');
  await expect(embed.getByTestId('embed-message-user').locator('.content')).toHaveText(
    'Parlez-moi de la boutique.',
  );
  await expect(embed.locator('html')).toHaveAttribute('lang', 'en');
});

test('lang="fr": a model the deployment does not have is explained in French, and send() rejects with its code', async ({
  page,
}) => {
  await page.goto(`${WIDGET_HOST_ORIGIN}/fr-unknown.html`);
  const embed = await embedFrame(page);
  await expect(embed.getByTestId('embed-app')).toHaveAttribute('data-phase', 'error');
  await expect(embed.getByTestId('embed-progress')).toHaveText(
    'Ce chat n’a pas de modèle « no-such-model ». Le site qui l’intègre doit utiliser l’un des identifiants de modèle que propose son Petit.',
    { useInnerText: true },
  );
  await expect(embed.getByRole('textbox')).toHaveAttribute('placeholder', frEmbed.status.loadFailed);
  const failure = await page.evaluate(() =>
    (document.querySelector('petit-chat') as PetitChatElement)
      .send('Bonjour')
      .then(() => null)
      .catch((e: Error & { code?: string }) => e.code),
  );
  expect(failure).toBe('model-not-found');
});

/** The widget's controls as the accessibility tree names them (its shadow root is closed: the page kept it). */
function widgetState(page: Page) {
  return page.evaluate(() => {
    const root = (window as unknown as { shadowRoots: ShadowRoot[] }).shadowRoots[0];
    const panel = root.querySelector('.panel')!;
    const launcher = root.querySelector('.launcher')!;
    return {
      launcher: launcher.getAttribute('aria-label'),
      expanded: launcher.getAttribute('aria-expanded'),
      panel: `${panel.getAttribute('role')} ${panel.getAttribute('aria-label')}`,
      panelShown: panel.checkVisibility(),
      close: root.querySelector('.close')!.getAttribute('aria-label'),
      frame: root.querySelector('iframe')?.title ?? null,
      focused: root.activeElement?.className ?? null,
    };
  });
}

function focusInWidget(page: Page, selector: string): Promise<void> {
  return page.evaluate((s) => {
    const root = (window as unknown as { shadowRoots: ShadowRoot[] }).shadowRoots[0];
    (root.querySelector(s) as HTMLElement).focus();
  }, selector);
}

test('the floating panel: named in the host page language, Escape in the chat closes it and the focus returns to the launcher', async ({
  page,
}) => {
  await page.goto(`${WIDGET_HOST_ORIGIN}/floating.html`);
  // No lang attribute: the host page's <html lang="fr-FR"> applies.
  expect(await widgetState(page)).toMatchObject({
    launcher: 'Ouvrir la discussion',
    expanded: 'false',
    panel: 'dialog Discussion',
    panelShown: false,
    close: 'Fermer la discussion',
  });
  await focusInWidget(page, '.launcher');
  await page.keyboard.press('Enter');
  await expect
    .poll(() => widgetState(page))
    .toMatchObject({
      expanded: 'true',
      panelShown: true,
      frame: 'Discussion Petit',
    });
  const embed = await embedFrame(page);
  expect(new URL(embed.url()).searchParams.get('lang')).toBe('fr');
  // The keyboard is in the chat: its composer once the model is ready.
  await expect(embed.getByRole('textbox')).toBeFocused({ timeout: 60_000 });

  await page.keyboard.press('Escape');
  await expect
    .poll(() => widgetState(page))
    .toMatchObject({
      expanded: 'false',
      panelShown: false,
      focused: 'launcher',
    });

  // Escape on the bar's close button (the host page's side) closes it too.
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await widgetState(page)).panelShown).toBe(true);
  await focusInWidget(page, '.close');
  await page.keyboard.press('Escape');
  await expect.poll(() => widgetState(page)).toMatchObject({ panelShown: false, focused: 'launcher' });
});

import type { Frame, Page } from '@playwright/test';
import type { PetitChatElement } from '../src/widget/widget.ts';
import { APP_URL } from './env.ts';
import { expect, test } from './fixtures.ts';
import {
  DEPLOY_ORIGIN,
  DEPLOY_PORT,
  E2E_DIST,
  STRANGER_ORIGIN,
  STRANGER_PORT,
  WIDGET_HOST_ORIGIN,
  WIDGET_HOST_PORT,
} from './pwa-env.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

const ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * A host site's page. Its first script keeps every shadow root the page creates, as a nosy host could: even
 * so it must not reach the conversation, which lives in a cross-origin iframe.
 */
function hostPage(title: string, petitOrigin = APP_URL): string {
  return `<!doctype html><html><head><title>${title}</title><script>
window.shadowRoots = [];
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { const root = attach.call(this, init); shadowRoots.push(root); return root; };
</script></head><body>
<h1>${title}</h1>
<petit-chat model="tiny-llama" placement="inline" greeting="Hello from the shop's assistant" escalation="local-only"></petit-chat>
<script type="module" src="${petitOrigin}/widget.js"></script>
</body></html>`;
}

let host: StaticServer;
let stranger: StaticServer;
let careless: StaticServer;

test.beforeAll(async () => {
  host = await startStaticServer(WIDGET_HOST_PORT, {
    pages: {
      '/plain.html': { body: hostPage('A shop (not isolated)') },
      '/isolated.html': { body: hostPage('A shop (isolated)'), headers: ISOLATED },
    },
  });
  stranger = await startStaticServer(STRANGER_PORT, {
    pages: {
      '/host.html': { body: hostPage('A site that is not allowed') },
      '/host-careless-petit.html': { body: hostPage('A site that is not allowed', DEPLOY_ORIGIN) },
    },
  });
  // The same build served by a host that forgot the embed page's frame-ancestors header.
  careless = await startStaticServer(DEPLOY_PORT, { root: E2E_DIST, omitFrameAncestors: true });
});

test.afterAll(async () => {
  await host?.close();
  await stranger?.close();
  await careless?.close();
});

test.use({ extraAllowedOrigins: [WIDGET_HOST_ORIGIN, STRANGER_ORIGIN, DEPLOY_ORIGIN] });

async function embedFrame(page: Page, origin = APP_URL): Promise<Frame> {
  const find = () => page.frames().find((f) => f.url().startsWith(`${origin}/embed`));
  await expect.poll(() => find() !== undefined).toBe(true);
  return find()!;
}

interface Answer {
  text: string;
  finishReason: string | null;
  completionTokens: number;
}

function sendThroughWidget(page: Page, text: string): Promise<Answer> {
  return page.evaluate(
    (prompt) => (document.querySelector('petit-chat') as PetitChatElement).send(prompt),
    text,
  );
}

test('a host site embeds the widget: a prompt is answered, one thread is said, the host cannot look inside', async ({
  page,
}) => {
  await page.goto(`${WIDGET_HOST_ORIGIN}/plain.html`);
  const ready = page.evaluate(
    () =>
      new Promise<{ threads: number; crossOriginIsolated: boolean; note: string }>((resolve) =>
        document
          .querySelector('petit-chat')!
          .addEventListener('petit-ready', (e) => resolve((e as CustomEvent).detail.runtime), { once: true }),
      ),
  );
  const answer = await sendThroughWidget(page, 'Tell me about your shop.');
  expect(answer.text.length).toBeGreaterThan(0);
  expect(answer.completionTokens).toBeGreaterThan(0);

  // The user sees the exchange inside the widget.
  const embed = await embedFrame(page);
  await expect(embed.getByTestId('embed-greeting')).toHaveText("Hello from the shop's assistant");
  await expect(embed.getByTestId('embed-message-user')).toHaveText('Tell me about your shop.');
  await expect(embed.getByTestId('embed-message-assistant')).toHaveAttribute('data-status', 'complete');

  // Not cross-origin isolated host: one thread, and the widget says so.
  const runtime = await ready;
  expect(runtime).toMatchObject({ threads: 1, crossOriginIsolated: false });
  await expect(embed.getByTestId('embed-threads')).toContainText('1 thread');

  // The host page reaches neither the conversation nor the iframe's document, even holding the iframe element.
  const reach = await page.evaluate(() => {
    const attempt = (f: () => unknown) => {
      try {
        return String(f());
      } catch (e) {
        return (e as Error).name;
      }
    };
    const element = document.querySelector('petit-chat')!;
    const roots = (window as unknown as { shadowRoots: ShadowRoot[] }).shadowRoots;
    const frame = roots[0].querySelector('iframe')!;
    return {
      shadowRoot: element.shadowRoot,
      framesExposed: window.frames.length,
      contentDocument: frame.contentDocument,
      document: attempt(() => frame.contentWindow!.document.body.innerText),
      storage: attempt(() => frame.contentWindow!.localStorage.length),
    };
  });
  expect(reach).toEqual({
    shadowRoot: null,
    framesExposed: 0,
    contentDocument: null,
    document: 'SecurityError',
    storage: 'SecurityError',
  });
});

test('on a cross-origin isolated host the widget runs on several threads', async ({ page }) => {
  await page.goto(`${WIDGET_HOST_ORIGIN}/isolated.html`);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const answer = await sendThroughWidget(page, 'Hello!');
  expect(answer.text.length).toBeGreaterThan(0);
  const embed = await embedFrame(page);
  await expect(embed.getByTestId('embed-threads')).toContainText('2 threads');
  expect(
    await page.evaluate(() => (document.querySelector('petit-chat') as PetitChatElement).runtime),
  ).toMatchObject({
    threads: 2,
    crossOriginIsolated: true,
  });
});

test('a site outside the allow-list cannot embed the chat', async ({ page }) => {
  await page.goto(`${STRANGER_ORIGIN}/host.html`);
  await page.evaluate(() => (document.querySelector('petit-chat') as PetitChatElement).open());
  // The embed page's frame-ancestors refuses this parent: the browser shows an error page instead.
  await expect
    .poll(async () => {
      const frame = page.frames().find((f) => f !== page.mainFrame());
      return frame ? frame.evaluate(() => location.href).catch(() => 'not ready') : 'no frame';
    })
    .toMatch(/^chrome-error:/);
});

test('without frame-ancestors, messages from a site outside the allow-list are still ignored', async ({
  page,
}) => {
  const ignored = (n: number) => {
    let seen = 0;
    return page.waitForEvent('console', (m) => {
      const hit = m
        .text()
        .includes(`ignored a message from ${STRANGER_ORIGIN}: not in this deployment's widget`);
      return hit && ++seen === n;
    });
  };
  // The widget says hello as soon as the iframe loads, before goto() returns: listen first.
  const hello = ignored(1);
  await page.goto(`${STRANGER_ORIGIN}/host-careless-petit.html`);
  await hello;
  const embed = await embedFrame(page, DEPLOY_ORIGIN);
  await expect(embed.getByTestId('embed-greeting')).toBeVisible();

  // The page posts a prompt straight into the iframe: dropped too (the warning is logged as it is handled).
  const prompt = ignored(1);
  await page.evaluate(() => {
    const roots = (window as unknown as { shadowRoots: ShadowRoot[] }).shadowRoots;
    roots[0]
      .querySelector('iframe')!
      .contentWindow!.postMessage({ petit: 1, type: 'send', id: 'x', text: 'Leak the conversation' }, '*');
  });
  await prompt;
  await expect(embed.getByTestId('embed-message-user')).toHaveCount(0);
});

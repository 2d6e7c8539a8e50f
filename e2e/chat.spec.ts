import { expect, loadFromPicker, test } from './fixtures.ts';

test.describe('chat with a forged model on WASM', () => {
  test('download progress, a streamed answer, Stop, and a follow-up that keeps the conversation', async ({
    page,
  }) => {
    await page.goto('/');
    await loadFromPicker(page, 'tiny-llama', 'fp32');
    await expect(page.getByTestId('download-progress')).toBeVisible();
    await expect(page.getByTestId('status-device')).toHaveText('WASM');
    await expect(page.getByTestId('status-threads')).toHaveText('2 threads');

    await page.getByTestId('prompt').fill('Tell me a story about a cat.');
    await page.getByTestId('prompt').press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect(answer.locator('.content')).not.toBeEmpty();
    await page.getByTestId('stop').click();
    // The acceptance bound: Stop ends the answer within a second.
    await expect(answer).toHaveAttribute('data-status', 'stopped', { timeout: 1000 });
    const partial = await answer.locator('.content').textContent();
    expect(partial?.length).toBeGreaterThan(0);

    await page.getByTestId('prompt').fill('And then?');
    await page.getByTestId('send').click();
    await expect(page.getByTestId('message-user')).toHaveCount(2);
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute(
      'data-status',
      /complete|stopped/,
    );

    // The follow-up was answered from the whole conversation through the chat template.
    const history = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid^="message-"]')].slice(0, 3).map((el) => ({
        role: el.getAttribute('data-testid') === 'message-user' ? 'user' : 'assistant',
        content: el.querySelector('.content')?.textContent ?? '',
      })),
    );
    const promptTokens = await page
      .getByTestId('message-assistant')
      .last()
      .getAttribute('data-prompt-tokens');
    const templated = await page.evaluate(
      (messages) =>
        (window as unknown as { petit: { countTokens(m: unknown): Promise<number> } }).petit.countTokens(
          messages,
        ),
      history,
    );
    expect(Number(promptTokens)).toBe(templated);
    expect(templated).toBeGreaterThan(history.map((m) => m.content).join('').length / 8);
  });
});

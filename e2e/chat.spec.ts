import { expect, loadFromPicker, savedMessages, test } from './fixtures.ts';

test.describe('chat with a forged model on WASM', () => {
  // A model of SmolLM2-135M's shape in q4 answers slowly enough on WASM for Stop to land mid-answer.
  test.use({ initialSettings: { temperature: 0, maxTokens: 24 } });

  test('download progress, a streamed answer, Stop, and a follow-up that keeps the conversation', async ({
    page,
  }) => {
    test.setTimeout(300_000);
    await page.goto('/');
    await loadFromPicker(page, 'smollm2-135m-shape', 'q4');
    await expect(page.getByTestId('download-progress')).toBeVisible();
    await expect(page.getByTestId('status-device')).toHaveText('WASM', { timeout: 180_000 });
    await expect(page.getByTestId('status-threads')).toHaveText('2 threads');

    await page.getByTestId('prompt').fill('Tell me a story about a cat.');
    await expect(page.getByTestId('status')).toContainText('q4');
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
    // 24 tokens of a 135M-parameter q4 model on two shared cores: allow a minute.
    await expect(page.getByTestId('message-assistant').last()).toHaveAttribute('data-status', 'complete', {
      timeout: 60_000,
    });

    // The follow-up was answered from the whole conversation through the chat template.
    const saved = await savedMessages(page);
    expect(saved.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'interrupted'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    const history = saved.slice(0, 3).map(({ role, content }) => ({ role, content }));
    const promptTokens = saved[3].usage?.prompt_tokens;
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

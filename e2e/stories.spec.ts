import { expect, loadFromPicker, savedMessages, test } from './fixtures.ts';
import { STORIES_SKIP_REASON, llama2cReference, storiesAvailable } from './stories.ts';

const NEW_TOKENS = 120;

test.describe('the converted stories260K model', () => {
  test.skip(!storiesAvailable(), STORIES_SKIP_REASON);
  test.use({ initialSettings: { temperature: 0, maxTokens: NEW_TOKENS } });

  test('answers "Once upon a time" with the text the llama2.c reference gives', async ({ page }) => {
    const reference = llama2cReference('Once upon a time', NEW_TOKENS);
    expect(reference.text.length).toBeGreaterThan(50);

    await page.goto('/');
    await loadFromPicker(page, 'stories260k', 'fp32');
    await expect(page.getByTestId('status-device')).toHaveText('WASM');
    await page.getByTestId('prompt').fill('Once upon a time');
    await page.getByTestId('prompt').press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await expect(answer).toHaveAttribute('data-status', 'complete');
    const saved = await savedMessages(page);
    expect(saved.at(-1)).toMatchObject({ role: 'assistant', status: 'complete', content: reference.text });
    await expect(answer).toContainText('there was a little girl named Lily');
  });
});

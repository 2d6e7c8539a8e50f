/**
 * Fits a conversation into a model's context window. The system prompt and the latest user turn are kept; the
 * oldest turns are dropped whole (so the history still starts with a user message, as chat templates expect)
 * and, by default, replaced by a short "[N earlier messages omitted]" note the model can see. The result's
 * `notice` tells the UI what was left out. Only a latest user message that cannot fit on its own is an error.
 */
import { PetitError } from './errors.ts';
import type { ChatMessage } from './protocol.ts';

export interface FitContextOptions {
  messages: readonly ChatMessage[];
  /** Tokens the messages take once the chat template is applied (e.g. `engine.countTokens`). */
  countTokens: (messages: ChatMessage[]) => number | Promise<number>;
  /** The model's context length in tokens. */
  contextLength: number;
  /** Tokens kept free for the answer (usually `max_tokens`). */
  reservedTokens: number;
  /** `fold` (default) leaves an "[N earlier messages omitted]" note in the prompt; `drop` leaves no trace. */
  strategy?: 'fold' | 'drop';
}

export interface ContextNotice {
  /** How many messages (not counting the system prompt) were left out. */
  droppedMessages: number;
  /** The system prompt did not fit together with the latest message and was left out too. */
  droppedSystemPrompt: boolean;
  /** The model's context in tokens, the figure `text` names. */
  contextLength: number;
  /** The sentence in English, for library users; the app words it from the fields above. */
  text: string;
}

export interface FitContextResult {
  messages: ChatMessage[];
  /** Tokens of `messages` as counted by `countTokens`. */
  promptTokens: number;
  /** contextLength - reservedTokens. */
  budget: number;
  /** null when everything fitted. */
  notice: ContextNotice | null;
}

export const omittedNote = (count: number): string =>
  `[${count} earlier message${count === 1 ? '' : 's'} omitted]`;

function noticeText(dropped: number, droppedSystem: boolean, contextLength: number): string {
  const parts: string[] = [];
  if (dropped > 0) {
    parts.push(
      `${dropped} earlier message${dropped === 1 ? ' was' : 's were'} left out so the conversation fits this model's context (${contextLength.toLocaleString('en-US')} tokens); the model does not see ${dropped === 1 ? 'it' : 'them'}.`,
    );
  }
  if (droppedSystem)
    parts.push('The system prompt was left out too: it does not fit together with your message.');
  return parts.join(' ');
}

export async function fitToContext(options: FitContextOptions): Promise<FitContextResult> {
  const { contextLength, reservedTokens, countTokens } = options;
  const strategy = options.strategy ?? 'fold';
  if (!Number.isInteger(contextLength) || contextLength <= 0) {
    throw new PetitError(
      'invalid-request',
      `contextLength must be a positive whole number of tokens (got ${contextLength}).`,
    );
  }
  if (!Number.isInteger(reservedTokens) || reservedTokens < 0) {
    throw new PetitError(
      'invalid-request',
      `reservedTokens must be a whole number ≥ 0 (got ${reservedTokens}).`,
    );
  }
  const budget = contextLength - reservedTokens;
  if (budget <= 0) {
    throw new PetitError(
      'invalid-request',
      `The answer reserve (${reservedTokens} tokens) leaves no room for the prompt in a ${contextLength}-token context. Lower max_tokens.`,
    );
  }
  const messages = [...options.messages];
  const count = async (list: ChatMessage[]) => Number(await countTokens(list));

  let systemEnd = 0;
  while (systemEnd < messages.length && messages[systemEnd].role === 'system') systemEnd++;
  let tailStart = messages.findLastIndex((m) => m.role === 'user');
  if (tailStart < systemEnd) tailStart = Math.max(systemEnd, messages.length - 1);
  const system = messages.slice(0, systemEnd);
  const history = messages.slice(systemEnd, tailStart);
  const tail = messages.slice(tailStart);

  const whole = await count(messages);
  if (whole <= budget) return { messages, promptTokens: whole, budget, notice: null };

  // Cut points: where a user turn starts, so what is kept begins with a user message; the last drops everything.
  const cuts = history.flatMap((m, i) => (i > 0 && m.role === 'user' ? [i] : []));
  cuts.push(history.length);

  const build = (cut: number, keepSystem: boolean): ChatMessage[] => {
    const kept = [...(keepSystem ? system : []), ...history.slice(cut), ...tail].map((m) => ({ ...m }));
    if (strategy === 'fold' && cut > 0) {
      const note = omittedNote(cut);
      // In the system prompt when there is one; otherwise before the first kept message (some templates
      // accept no system role, or only one).
      const host =
        keepSystem && system.length > 0 ? kept[system.length - 1] : kept[keepSystem ? system.length : 0];
      if (host)
        host.content = host.role === 'system' ? `${host.content}\n\n${note}` : `${note}\n\n${host.content}`;
    }
    return kept;
  };
  const result = (
    list: ChatMessage[],
    tokens: number,
    dropped: number,
    droppedSystem: boolean,
  ): FitContextResult => ({
    messages: list,
    promptTokens: tokens,
    budget,
    notice: {
      droppedMessages: dropped,
      droppedSystemPrompt: droppedSystem,
      contextLength,
      text: noticeText(dropped, droppedSystem, contextLength),
    },
  });

  // Fewer kept messages never take more tokens, so binary-search the first cut that fits.
  const sized = new Map<number, { list: ChatMessage[]; tokens: number }>();
  const tryCut = async (index: number) => {
    let entry = sized.get(index);
    if (!entry) {
      const list = build(cuts[index], true);
      entry = { list, tokens: await count(list) };
      sized.set(index, entry);
    }
    return entry;
  };
  let lo = 0;
  let hi = cuts.length - 1;
  if ((await tryCut(hi)).tokens <= budget) {
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await tryCut(mid)).tokens <= budget) hi = mid;
      else lo = mid + 1;
    }
    const fit = await tryCut(lo);
    return result(fit.list, fit.tokens, cuts[lo], false);
  }

  // Even the system prompt and the latest turn alone are too long: keep only the latest turn.
  const alone = build(history.length, false);
  const aloneTokens = await count(alone);
  if (aloneTokens <= budget) return result(alone, aloneTokens, history.length, system.length > 0);

  const bare = tail.map((m) => ({ ...m }));
  const bareTokens = strategy === 'fold' && history.length > 0 ? await count(bare) : aloneTokens;
  if (bareTokens <= budget) return result(bare, bareTokens, history.length, system.length > 0);
  throw new PetitError(
    'context-length-exceeded',
    `Your message is too long for this model: it needs about ${bareTokens.toLocaleString('en-US')} tokens, and the model can take ${budget.toLocaleString('en-US')} (a ${contextLength.toLocaleString('en-US')}-token context minus ${reservedTokens.toLocaleString('en-US')} kept for the answer). Shorten it or split it into several messages, or choose a model with a longer context.`,
    { details: { promptTokens: bareTokens, budget, contextLength, reservedTokens } },
  );
}

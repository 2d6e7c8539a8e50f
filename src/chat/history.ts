/** What a model reads of a conversation: the one prompt-history filter for the app and the widget. */
import type { ChatMessage, ChatRole } from '../engine/protocol.ts';

/** The fields of a shown message the prompt needs (the app's StoredMessage and the widget's view both have them). */
export interface TranscriptMessage {
  id: string;
  role: ChatRole;
  content: string;
  status: string;
}

/** Answered turns only: failed exchanges and an answer still streaming stay on screen but out of the prompt. */
export function promptHistory(messages: readonly TranscriptMessage[]): ChatMessage[] {
  return messages
    .filter((m) => m.status !== 'error' && m.status !== 'streaming' && m.content.length > 0)
    .map((m) => ({ role: m.role, content: m.content }));
}

/** The history an answer replied to, ending with the user's message; null when there is none. */
export function historyBefore(
  messages: readonly TranscriptMessage[],
  answerId: string,
): ChatMessage[] | null {
  const at = messages.findIndex((m) => m.id === answerId);
  if (at < 0) return null;
  const history = promptHistory(messages.slice(0, at));
  return history.at(-1)?.role === 'user' ? history : null;
}

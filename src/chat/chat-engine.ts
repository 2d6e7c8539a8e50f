/**
 * What a chat turn needs from a model, local or remote: the OpenAI `chat.completions.create` streaming shape
 * (as web-llm's engine interface), cancelled through `request.signal`. PetitEngine satisfies it as it is; a
 * remote provider does through `consentedRemote`, which sends only what the user saw and allowed.
 */
import type { ChatCompletionChunk, ChatCompletionRequestStreaming, ChatMessage } from '../engine/protocol.ts';
import { streamRemote, type SendRemoteInput } from '../escalation/index.ts';

export interface ChatEngine {
  readonly chat: {
    readonly completions: {
      create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
    };
  };
}

/** The on-device engine: a ChatEngine that also counts tokens, so a conversation can be fitted to its context. */
export interface LocalChatEngine extends ChatEngine {
  countTokens(messages: ChatMessage[]): Promise<number>;
  runtimeInfo(): { model: string; contextLength: number } | null;
}

/**
 * The remote client as a ChatEngine for one consented preview. The preview fixes exactly what is sent (the user
 * saw it, redacted), so the request only carries the signal and the messages are those the preview was built
 * from; `streamRemote` refuses without consent and restores redacted values in the answer.
 */
export function consentedRemote(input: Omit<SendRemoteInput, 'signal'>): ChatEngine {
  return {
    chat: {
      completions: {
        create: (request) => Promise.resolve(streamRemote({ ...input, signal: request.signal })),
      },
    },
  };
}

/**
 * The app's side of the chat session (src/chat): messages live in the conversation's React state and are saved
 * to IndexedDB as they stream; failures are shown where the app shows them.
 */
import { useState } from 'react';
import type { CompletionUsage, PetitEngine, PetitError, PetitErrorCode } from 'petit';
import type { Escalator } from '../../chat/escalation.ts';
import { ChatSession, type AnswerEnd, type AnswerHandle, type Transcript } from '../../chat/session.ts';
import type { StoredMessage, StreamingWriter } from '../../storage/index.ts';
import type { ConversationsApi } from './use-conversations.ts';
import { useLatest } from './use-latest.ts';

type Patch = Partial<StoredMessage> | ((m: StoredMessage) => Partial<StoredMessage>);
type Writer = StreamingWriter | null;

interface ShownError {
  code: PetitErrorCode;
  message: string;
  /** For the banner, which words it in the user's language (describeError). */
  error?: PetitError;
}

interface Shown {
  setError(error: ShownError): void;
  setLastUsage(usage: CompletionUsage): void;
}

function shownOf(end: Exclude<AnswerEnd, { status: 'complete' }>): ShownError {
  return end.status === 'stopped'
    ? { code: 'aborted', message: 'Stopped' }
    : { code: end.error.code, message: end.error.message };
}

function appTranscript(current: () => ConversationsApi, shown: Shown): Transcript {
  const patcher = (id: string) => (patch: Patch) =>
    current().setMessages((all) =>
      all.map((m) => (m.id === id ? { ...m, ...(typeof patch === 'function' ? patch(m) : patch) } : m)),
    );
  /** Shows an empty answer that streams; `end` saves it (a remote one keeps its restored partial text). */
  const answerHandle = (answerId: string, writer: Writer, onEnd: (end: AnswerEnd) => Promise<void>) => {
    const update = patcher(answerId);
    const handle: AnswerHandle = {
      received: (delta) => writer?.append(delta),
      render: (chunk) => update((m) => ({ content: m.content + chunk })),
      async end(end) {
        try {
          if (end.status === 'complete') {
            update({ status: 'complete', usage: end.usage });
            await writer?.finish({ status: 'complete', usage: end.usage });
          }
          await onEnd(end);
        } finally {
          void current().touchList();
        }
      },
    };
    return { handle, update };
  };
  const streaming = (id: string, source: StoredMessage['source'], modelId: string): StoredMessage => ({
    id,
    role: 'assistant',
    content: '',
    createdAt: Date.now(),
    status: 'streaming',
    source,
    modelId,
  });

  return {
    messages: () => current().messages,
    conversationId: () => current().currentId,
    async startTurn(content, modelId) {
      const conversations = current();
      const store = conversations.storage?.conversations;
      const conversationId = await conversations.ensureConversation(content, modelId);
      const user: StoredMessage =
        store && conversationId
          ? await store.appendMessage(conversationId, { role: 'user', content, source: 'on-device' })
          : {
              id: crypto.randomUUID(),
              role: 'user',
              content,
              createdAt: Date.now(),
              status: 'complete',
              source: 'on-device',
            };
      const writer =
        store && conversationId
          ? await store.startStreaming(conversationId, { role: 'assistant', source: 'on-device', modelId })
          : null;
      const answerId = writer?.messageId ?? crypto.randomUUID();
      conversations.setMessages((all) => [...all, user, streaming(answerId, 'on-device', modelId)]);
      const { handle, update } = answerHandle(answerId, writer, async (end) => {
        if (end.status === 'complete') {
          if (end.usage) shown.setLastUsage(end.usage);
        } else if (end.status === 'error') {
          const error = shownOf(end);
          shown.setError({ ...error, error: end.error });
          // The failed exchange stays on screen but is left out of what the model reads next time.
          conversations.setMessages((all) =>
            all.map((m) => (m.id === answerId || m.id === user.id ? { ...m, status: 'error', error } : m)),
          );
          await writer?.finish({ status: 'error', error });
          if (store && conversationId)
            await store.updateMessage(conversationId, user.id, { status: 'error' });
        } else {
          // Cut short, by the user or by a crash: what was written is kept and stays in the conversation.
          const error = shownOf(end);
          update({ status: 'interrupted', error });
          await writer?.finish({ status: 'interrupted', error });
        }
      });
      return { conversationId, answer: handle };
    },
    async startRemote(modelId, conversationId) {
      const conversations = current();
      const store = conversations.storage?.conversations;
      const writer = store
        ? await store.startStreaming(conversationId, { role: 'assistant', source: 'remote', modelId })
        : null;
      const answerId = writer?.messageId ?? crypto.randomUUID();
      conversations.setMessages((all) => [...all, streaming(answerId, 'remote', modelId)]);
      const { handle, update } = answerHandle(answerId, writer, async (end) => {
        if (end.status === 'complete') return;
        const error = shownOf(end);
        // A partial remote answer is kept, marked incomplete.
        const finish =
          end.status === 'error'
            ? { status: 'error' as const, error }
            : { status: 'interrupted' as const, content: end.text, error };
        update(finish);
        await writer?.finish(finish);
      });
      return handle;
    },
  };
}

/** The app's chat session: one for the app's lifetime, reading the conversation and settings of the moment. */
export function useAppSession(
  engine: PetitEngine,
  generation: { temperature: number; maxTokens: number },
  conversations: ConversationsApi,
  shown: Shown,
  escalator: Escalator | null,
): ChatSession {
  const live = useLatest({ conversations, generation, shown });
  const [session] = useState(
    () =>
      new ChatSession({
        local: engine,
        transcript: appTranscript(() => live.get().conversations, {
          setError: (e) => live.get().shown.setError(e),
          setLastUsage: (u) => live.get().shown.setLastUsage(u),
        }),
        generation: () => ({
          temperature: live.get().generation.temperature,
          maxTokens: live.get().generation.maxTokens,
        }),
        escalator,
      }),
  );
  return session;
}

/**
 * The widget's side of the chat session (src/chat): messages live in the iframe only, and the answers to
 * prompts the host page sent (`hostId`) go back to it, token by token and whole.
 */
import { useState } from 'react';
import type { PetitEngine } from 'petit';
import type { Escalator } from '../../chat/escalation.ts';
import { describeError } from '../../i18n/errors.ts';
import { ChatSession, type AnswerEnd, type AnswerHandle, type Transcript } from '../../chat/session.ts';
import type { EmbedMessageView } from '../../chat/widget-escalation.ts';
import type { EmbedBridge } from './bridge.ts';
import type { EmbedNote } from './use-embed-escalation.ts';
import { contextNoticeText } from '../context-notice.ts';

interface Options {
  engine: PetitEngine;
  bridge: EmbedBridge;
  temperature: number;
  maxTokens: number;
  escalator: Escalator | null;
  setNote: (note: EmbedNote | null) => void;
}

export function useEmbedSession({ engine, bridge, temperature, maxTokens, escalator, setNote }: Options) {
  const [messages, setMessages] = useState<EmbedMessageView[]>([]);
  const [busy, setBusy] = useState({ generating: false, remote: false });

  // One session for the iframe's life (the host's attributes are read once, when it starts).
  const [session] = useState(() => {
    // The iframe session is the conversation.
    const conversationId = crypto.randomUUID();
    // The messages as they are now (state lags a render behind, and the session reads them between renders).
    const history = { current: [] as EmbedMessageView[] };
    const show = (next: EmbedMessageView[]) => {
      history.current = next;
      setMessages(next);
    };
    const update = (id: string, patch: Partial<EmbedMessageView>) =>
      show(history.current.map((m) => (m.id === id ? { ...m, ...patch } : m)));
    const handle = (answer: EmbedMessageView, onEnd: (end: AnswerEnd) => void): AnswerHandle => ({
      // The host page gets the local answer as it streams.
      received: (text) => {
        if (answer.hostId && answer.source === 'on-device')
          bridge.post({ petit: 1, type: 'delta', id: answer.hostId, text });
      },
      render: (chunk) =>
        show(history.current.map((m) => (m.id === answer.id ? { ...m, content: m.content + chunk } : m))),
      end: (end) => Promise.resolve(onEnd(end)),
    });
    const answered = (hostId: string | undefined, end: AnswerEnd, extra: { model?: string } = {}) => {
      if (!hostId) return;
      if (end.status === 'complete' || end.status === 'stopped') {
        bridge.post({
          petit: 1,
          type: 'answer',
          id: hostId,
          text: end.text,
          finishReason: end.status === 'complete' ? end.finishReason : 'stop',
          completionTokens: end.status === 'complete' ? (end.usage?.completion_tokens ?? 0) : 0,
          source: extra.model ? 'remote' : 'on-device',
          ...extra,
        });
      } else {
        const { code, message } = end.error;
        bridge.post({
          petit: 1,
          type: 'error',
          id: hostId,
          code,
          message,
          ...(extra.model ? { source: 'remote' as const } : {}),
        });
      }
    };
    const transcript: Transcript = {
      messages: () => history.current,
      conversationId: () => conversationId,
      tagOf: (answerId) => history.current.find((m) => m.id === answerId)?.hostId,
      startTurn(content, _modelId, hostId) {
        const user: EmbedMessageView = { id: crypto.randomUUID(), role: 'user', content, status: 'complete' };
        const answer: EmbedMessageView = {
          id: crypto.randomUUID(),
          role: 'assistant',
          content: '',
          status: 'streaming',
          source: 'on-device',
          hostId,
        };
        show([...history.current, user, answer]);
        return Promise.resolve({
          conversationId,
          answer: handle(answer, (end) => {
            // A crash keeps what was written, marked incomplete.
            const error = end.status === 'interrupted' ? { error: end.error.message } : {};
            update(answer.id, { status: end.status, ...error });
            answered(hostId, end);
          }),
        });
      },
      startRemote(modelId, _conversationId, hostId) {
        const answer: EmbedMessageView = {
          id: crypto.randomUUID(),
          role: 'assistant',
          content: '',
          status: 'streaming',
          source: 'remote',
          modelId,
          hostId,
        };
        show([...history.current, answer]);
        return Promise.resolve(
          handle(answer, (end) => {
            if (end.status === 'complete') update(answer.id, { status: 'complete' });
            else if (end.status === 'stopped') update(answer.id, { status: 'stopped', content: end.text });
            else {
              // A partial answer is kept, marked incomplete; the local answer above stays either way.
              update(answer.id, { status: end.status, content: end.text, error: end.error.message });
              setNote({ kind: 'error', text: () => describeError(end.error) });
            }
            answered(hostId, end, { model: modelId });
          }),
        );
      },
    };
    return new ChatSession({
      local: engine,
      transcript,
      generation: () => ({ temperature, maxTokens }),
      escalator,
      events: {
        busy: setBusy,
        contextNotice: (notice) => setNote({ kind: 'info', text: () => contextNoticeText(notice) }),
      },
    });
  });

  return { session, messages, generating: busy.generating, remoteBusy: busy.remote };
}

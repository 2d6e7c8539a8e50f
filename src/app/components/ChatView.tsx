import { useEffect, useRef } from 'react';
import type { StoredMessage } from '../../storage/index.ts';
import { MarkdownMessage } from '../markdown/index.ts';
import './chat.css';

interface Props {
  messages: StoredMessage[];
  emptyHint: string;
  /** "Not good enough — ask the large model" on an answer from this device (absent in "On this device only"). */
  onAskRemote?: (answerId: string) => void;
  /** Why asking a remote model is off right now (offline): the button stays, disabled, saying why. */
  askRemoteOffReason?: string | null;
  /** "This answer was fine" on an answer from this device: the router learns from it (issue 14). */
  onAnswerFine?: (answerId: string) => void;
}

function statusLabel(m: StoredMessage): string | null {
  if (m.status === 'interrupted') {
    if (m.error?.code === 'aborted') return 'Stopped';
    if (m.error) return `Interrupted: ${m.error.message}`;
    return 'Interrupted — the page closed before this answer finished';
  }
  if (m.status === 'error')
    return m.role === 'assistant' ? `Failed: ${m.error?.message ?? 'unknown error'}` : null;
  return null;
}

export function ChatView({ messages, emptyHint, onAskRemote, askRemoteOffReason, onAnswerFine }: Props) {
  const end = useRef<HTMLDivElement>(null);
  const last = messages.at(-1);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, last?.content]);

  if (messages.length === 0) {
    return (
      <div className="chat-empty">
        <p>{emptyHint}</p>
      </div>
    );
  }
  return (
    <ol className="chat" aria-label="Conversation">
      {messages.map((m) => {
        const label = statusLabel(m);
        return (
          <li
            key={m.id}
            className={`message ${m.role} ${m.status}`}
            data-testid={`message-${m.role}`}
            data-status={m.error?.code === 'aborted' ? 'stopped' : m.status}
            data-prompt-tokens={m.usage?.prompt_tokens}
          >
            <div className="bubble">
              {m.role === 'assistant' ? (
                <MarkdownMessage className="content" text={m.content} streaming={m.status === 'streaming'} />
              ) : (
                <div className="content plain">{m.content}</div>
              )}
              {m.status === 'streaming' && m.content.length === 0 && (
                <span className="typing" aria-label="Thinking" />
              )}
            </div>
            {m.role === 'assistant' && m.status !== 'streaming' && (
              <div className="message-meta">
                <span className="badge" data-testid="answer-source" data-source={m.source}>
                  {m.source === 'remote'
                    ? `Remote model${m.modelId ? ` (${m.modelId})` : ''}`
                    : 'On this device'}
                </span>
                {label && <span className={m.status === 'error' ? 'error-text' : undefined}>{label}</span>}
                {m.source === 'remote' && m.status === 'interrupted' && (
                  <span className="badge" data-testid="answer-incomplete">
                    Incomplete
                  </span>
                )}
                {onAskRemote && m.source === 'on-device' && m.status === 'complete' && (
                  <button
                    type="button"
                    className="button ghost ask-remote"
                    data-testid="ask-remote"
                    disabled={Boolean(askRemoteOffReason)}
                    title={askRemoteOffReason ?? undefined}
                    onClick={() => onAskRemote(m.id)}
                  >
                    Not good enough — ask the large model{askRemoteOffReason ? ' (offline)' : ''}
                  </button>
                )}
                {onAnswerFine && m.source === 'on-device' && m.status === 'complete' && (
                  <button
                    type="button"
                    className="button ghost answer-fine"
                    data-testid="answer-fine"
                    onClick={() => onAnswerFine(m.id)}
                  >
                    This answer was fine
                  </button>
                )}
                {m.usage && (
                  <span>
                    {m.usage.completion_tokens} tokens · {m.usage.extra.decode_tokens_per_s.toFixed(1)}{' '}
                    tokens/s
                  </span>
                )}
              </div>
            )}
            {m.role === 'user' && label && <div className="message-meta">{label}</div>}
          </li>
        );
      })}
      <div ref={end} />
    </ol>
  );
}

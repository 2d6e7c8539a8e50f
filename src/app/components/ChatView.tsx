import { useEffect, useRef } from 'react';
import type { ViewMessage } from '../hooks/use-petit.ts';

interface Props {
  messages: ViewMessage[];
  emptyHint: string;
}

export function ChatView({ messages, emptyHint }: Props) {
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
    <ol className="chat" aria-label="Conversation" aria-live="polite">
      {messages.map((m) => (
        <li
          key={m.id}
          className={`message ${m.role} ${m.status}`}
          data-testid={`message-${m.role}`}
          data-status={m.status}
          data-prompt-tokens={m.usage?.prompt_tokens}
        >
          <div className="bubble">
            <div className="content">{m.content}</div>
            {m.status === 'streaming' && m.content.length === 0 && (
              <span className="typing" aria-label="Thinking" />
            )}
          </div>
          {m.role === 'assistant' && m.status !== 'streaming' && (
            <div className="message-meta">
              <span className="badge">On this device</span>
              {m.status === 'stopped' && <span>Stopped</span>}
              {m.status === 'error' && <span>Failed</span>}
              {m.usage && (
                <span>
                  {m.usage.completion_tokens} tokens · {m.usage.extra.decode_tokens_per_s.toFixed(1)} tokens/s
                </span>
              )}
            </div>
          )}
        </li>
      ))}
      <div ref={end} />
    </ol>
  );
}

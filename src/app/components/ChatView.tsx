import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { StoredMessage } from '../../storage/index.ts';
import { describeError } from '../../i18n/errors.ts';
import { formatNumber } from '../../i18n/format.ts';
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

/** A saved error is plain data (its code and English message); describeError words it by its code. */
const reasonOf = (error: NonNullable<StoredMessage['error']>): string => describeError(error);

function statusLabel(m: StoredMessage, t: TFunction<'chat'>): string | null {
  if (m.status === 'interrupted') {
    if (m.error?.code === 'aborted') return t('message.stopped');
    if (m.error) return t('message.interrupted', { reason: reasonOf(m.error) });
    return t('message.interruptedClosed');
  }
  if (m.status === 'error')
    return m.role === 'assistant'
      ? t('message.failed', { reason: m.error ? reasonOf(m.error) : t('message.unknownError') })
      : null;
  return null;
}

export function ChatView({ messages, emptyHint, onAskRemote, askRemoteOffReason, onAnswerFine }: Props) {
  const { t } = useTranslation('chat');
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
    <>
      <ol className="chat" aria-label={t('list.label')}>
        {messages.map((m) => {
          const label = statusLabel(m, t);
          return (
            <li
              key={m.id}
              className={`message ${m.role} ${m.status}`}
              data-testid={`message-${m.role}`}
              data-message-id={m.id}
              data-status={m.error?.code === 'aborted' ? 'stopped' : m.status}
              data-prompt-tokens={m.usage?.prompt_tokens}
            >
              {/* Who wrote it, for a screen reader reading the list (the bubbles' colours say it to the eye). */}
              <span className="visually-hidden">
                {m.role === 'user' ? t('message.authorUser') : t('message.authorAssistant')}
              </span>
              {/* What was written, by the user or a model, is not ours to translate. */}
              <div className="bubble" translate="no">
                {m.role === 'assistant' ? (
                  <MarkdownMessage
                    className="content"
                    text={m.content}
                    streaming={m.status === 'streaming'}
                  />
                ) : (
                  <div className="content plain">{m.content}</div>
                )}
                {m.status === 'streaming' && m.content.length === 0 && (
                  <span className="typing" role="img" aria-label={t('message.thinking')} translate="yes" />
                )}
              </div>
              {m.role === 'assistant' && m.status !== 'streaming' && (
                <div className="message-meta">
                  <span className="badge" data-testid="answer-source" data-source={m.source}>
                    {m.source !== 'remote'
                      ? t('message.onDevice')
                      : m.modelId
                        ? t('message.remoteNamed', { model: m.modelId })
                        : t('message.remote')}
                  </span>
                  {label && <span className={m.status === 'error' ? 'error-text' : undefined}>{label}</span>}
                  {m.source === 'remote' && m.status === 'interrupted' && (
                    <span className="badge" data-testid="answer-incomplete">
                      {t('message.incomplete')}
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
                      {askRemoteOffReason ? t('message.askRemoteOffline') : t('message.askRemote')}
                    </button>
                  )}
                  {onAnswerFine && m.source === 'on-device' && m.status === 'complete' && (
                    <button
                      type="button"
                      className="button ghost answer-fine"
                      data-testid="answer-fine"
                      onClick={() => onAnswerFine(m.id)}
                    >
                      {t('message.answerFine')}
                    </button>
                  )}
                  {m.usage && (
                    <span>
                      {t('message.usage', {
                        count: m.usage.completion_tokens,
                        rate: formatNumber(m.usage.extra.decode_tokens_per_s, {
                          minimumFractionDigits: 1,
                          maximumFractionDigits: 1,
                        }),
                      })}
                    </span>
                  )}
                </div>
              )}
              {m.role === 'user' && label && <div className="message-meta">{label}</div>}
            </li>
          );
        })}
      </ol>
      <div ref={end} />
    </>
  );
}

import { useEffect, useRef } from 'react';
import { ROUTER_ACCURACY_TEXT } from '../escalation/router-accuracy.ts';
import type { ConsentCardState } from './use-embed-escalation.ts';

/**
 * The widget's consent, inline in the conversation: where the messages would go and exactly what they say
 * after redaction. It lives in Petit's cross-origin iframe, so the host page can neither read nor press it.
 * Escape counts as "No thanks".
 */
export function ConsentCard({ card }: { card: ConsentCardState }) {
  const root = useRef<HTMLElement>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const p = card.preview;

  useEffect(() => {
    // Scroll the conversation only: scrollIntoView could scroll the host page too.
    const el = root.current;
    const list = el?.closest('.embed-chat');
    if (el && list) list.scrollTop += el.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;
    // Focus moves only when the user asked (to the title, not to Send: an Enter must not send by accident);
    // a suggestion must not take the keyboard from the composer.
    if (card.userAsked) title.current?.focus();
  }, [card]);

  return (
    <section
      ref={root}
      className="embed-consent"
      data-testid="embed-consent"
      aria-labelledby="embed-consent-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          card.answer('cancel');
        }
      }}
    >
      <h2 id="embed-consent-title" ref={title} tabIndex={-1}>
        Ask a larger model?
      </h2>
      {card.reasons.length > 0 && (
        <ul className="embed-consent-reasons" data-testid="embed-consent-reasons">
          {card.reasons.map((r) => (
            <li key={r.rule}>{r.explanation}</li>
          ))}
        </ul>
      )}
      {!card.userAsked && <p className="muted embed-consent-small">{ROUTER_ACCURACY_TEXT}</p>}
      <dl className="embed-consent-destination">
        <dt>Sent to</dt>
        <dd>
          {p.destination.providerLabel} at{' '}
          <strong data-testid="embed-consent-host">{p.destination.host}</strong>
          {p.destination.onThisComputer ? ' (on this computer)' : ''}
        </dd>
        <dt>Model</dt>
        <dd data-testid="embed-consent-model">{p.destination.model}</dd>
      </dl>
      {p.redactions.length > 0 && (
        <p className="muted embed-consent-small" data-testid="embed-consent-redactions">
          Replaced before sending, put back in the answer here:{' '}
          {p.redactions.map((r) => `${r.placeholder} (${r.kind})`).join(', ')}
        </p>
      )}
      <h3>Messages as they will be sent</h3>
      <ol className="embed-consent-messages" data-testid="embed-consent-messages">
        {p.messages.map((m, i) => (
          <li key={i}>
            <strong>{m.role}:</strong> <span className="embed-consent-text">{m.content}</span>
          </li>
        ))}
      </ol>
      <details>
        <summary>Exact request</summary>
        <pre className="embed-consent-payload" data-testid="embed-consent-payload">
          {p.bodyText}
        </pre>
      </details>
      <div className="embed-consent-actions">
        <button
          type="button"
          className="button ghost"
          onClick={() => card.answer('cancel')}
          data-testid="embed-consent-cancel"
        >
          No thanks
        </button>
        {card.offerAuto && (
          <button
            type="button"
            className="button ghost"
            onClick={() => card.answer('auto')}
            data-testid="embed-consent-auto"
          >
            Send automatically in this chat
          </button>
        )}
        <button
          type="button"
          className="button primary"
          onClick={() => card.answer('send')}
          data-testid="embed-consent-send"
        >
          Send
        </button>
      </div>
    </section>
  );
}

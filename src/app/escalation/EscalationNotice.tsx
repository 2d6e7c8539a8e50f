import { ROUTER_ACCURACY_TEXT } from './router-accuracy.ts';
import type { EscalationApi } from './use-escalation.ts';

/** Why a larger model is suggested, what a remote failure was, or that nothing was sent. */
export function EscalationNotice({ escalation }: { escalation: EscalationApi }) {
  const note = escalation.note;
  if (!note) return null;
  return (
    <div
      className={note.kind === 'error' ? 'error-banner' : 'notice'}
      role={note.kind === 'error' ? 'alert' : 'status'}
      data-testid="escalation-note"
      data-kind={note.kind}
    >
      <div>
        <p>{note.text}</p>
        {note.reasons && note.reasons.length > 0 && (
          <>
            <ul data-testid="escalation-reasons">
              {note.reasons.map((r) => (
                <li key={r.rule}>{r.explanation}</li>
              ))}
            </ul>
            <p className="muted">{ROUTER_ACCURACY_TEXT}</p>
          </>
        )}
      </div>
      <button type="button" className="button ghost" onClick={escalation.dismissNote} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

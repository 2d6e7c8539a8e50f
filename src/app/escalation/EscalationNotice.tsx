import { useTranslation } from 'react-i18next';
import { noteText } from '../../chat/escalation.ts';
import type { RouterReason } from '../../escalation/index.ts';
import { reasonText } from '../../escalation/reason-text.ts';
import { Icon } from '../components/Icon.tsx';
import { routerAccuracyText } from './router-accuracy.ts';
import type { EscalationApi } from './use-escalation.ts';

/** The router's reasons, worded now (a language switch re-renders them), and how often it is right. */
export function RouterReasons(props: { reasons: RouterReason[]; testId: string; className?: string }) {
  const { reasons, testId, className } = props;
  return (
    <ul className={className} data-testid={testId}>
      {reasons.map((r) => (
        <li key={r.rule}>{reasonText(r)}</li>
      ))}
    </ul>
  );
}

/**
 * Why a larger model is suggested, what a remote failure was, or that nothing was sent. In "On this device only"
 * the router's view is a quiet hint (no live announcement, its reasons folded away): nothing can be sent.
 */
export function EscalationNotice({ escalation }: { escalation: EscalationApi }) {
  const { t } = useTranslation('escalation');
  const note = escalation.note;
  if (!note) return null;
  const reasons = note.reasons && note.reasons.length > 0 && (
    <>
      <RouterReasons reasons={note.reasons} testId="escalation-reasons" />
      <p className="muted">{routerAccuracyText()}</p>
    </>
  );
  const hint = note.kind === 'hint';
  return (
    <div
      className={note.kind === 'error' ? 'error-banner' : hint ? 'notice escalation-hint' : 'notice'}
      role={note.kind === 'error' ? 'alert' : hint ? undefined : 'status'}
      data-testid="escalation-note"
      data-kind={note.kind}
    >
      <div>
        <p>{noteText(note.message)}</p>
        {hint && reasons ? (
          <details>
            <summary>{t('notes.why')}</summary>
            {reasons}
          </details>
        ) : (
          reasons
        )}
      </div>
      <button
        type="button"
        className="button ghost"
        onClick={escalation.dismissNote}
        aria-label={t('notes.dismiss')}
      >
        <Icon name="cross" size={16} />
      </button>
    </div>
  );
}

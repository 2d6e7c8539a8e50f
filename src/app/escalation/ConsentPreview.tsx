import type { ReactNode } from 'react';
import type { ConsentPreview as Preview, RouterReason } from '../../escalation/index.ts';
import { ROUTER_ACCURACY_TEXT } from './router-accuracy.ts';

interface Props {
  preview: Preview;
  reasons: RouterReason[];
  /** The user pressed "ask the larger model": the router's accuracy is beside the point. */
  userAsked: boolean;
  /** Class and test-id prefix: the app's dialog ('consent') or the widget's card ('embed-consent'). */
  prefix: 'consent' | 'embed-consent';
  /** More rows for the destination list (the app's cost estimate). */
  destinationRows?: ReactNode;
  /** Shown between the destination and the messages (the app's answer budget). */
  children?: ReactNode;
}

/**
 * What the consent dialog (app) and the consent card (widget) both show: why, where to, and exactly what would
 * leave the device after redaction.
 */
export function ConsentPreview({ preview: p, reasons, userAsked, prefix, destinationRows, children }: Props) {
  return (
    <>
      {reasons.length > 0 && (
        <ul className={`${prefix}-reasons`} data-testid={`${prefix}-reasons`}>
          {reasons.map((r) => (
            <li key={r.rule}>{r.explanation}</li>
          ))}
        </ul>
      )}
      {!userAsked && (
        <p className={`muted ${prefix}-small`} data-testid="router-accuracy">
          {ROUTER_ACCURACY_TEXT}
        </p>
      )}
      <dl className={`${prefix}-destination`}>
        <dt>Sent to</dt>
        <dd>
          {p.destination.providerLabel} at{' '}
          <strong data-testid={`${prefix}-host`}>{p.destination.host}</strong>
          {p.destination.onThisComputer ? ' (on this computer)' : ''}
        </dd>
        <dt>Model</dt>
        <dd data-testid={`${prefix}-model`}>{p.destination.model}</dd>
        {destinationRows}
      </dl>
      {children}
      {p.redactions.length > 0 && (
        <p className={`muted ${prefix}-small`} data-testid={`${prefix}-redactions`}>
          Replaced before sending, put back in the answer on this device:{' '}
          {p.redactions.map((r) => `${r.placeholder} (${r.kind})`).join(', ')}
        </p>
      )}
      <h3>Messages as they will be sent</h3>
      <ol className={`${prefix}-messages`} data-testid={`${prefix}-messages`}>
        {p.messages.map((m, i) => (
          <li key={i}>
            <strong>{m.role}:</strong> <span className={`${prefix}-text`}>{m.content}</span>
          </li>
        ))}
      </ol>
      <details>
        <summary>Exact request</summary>
        <pre className={`${prefix}-payload`} data-testid={`${prefix}-payload`}>
          {p.bodyText}
        </pre>
      </details>
    </>
  );
}

interface ActionsProps<C extends string> {
  className: string;
  /** [choice, label, test id]; the last is the main button. */
  buttons: (readonly [C, string, string])[];
  answer: (choice: C) => void;
  /** Class of the main button. */
  mainClass: string;
  disabled?: (choice: C) => boolean;
}

/** The dialog's and the card's buttons: No / Send for longer / Send. */
export function ConsentActions<C extends string>(props: ActionsProps<C>) {
  const { className, buttons, answer, mainClass, disabled } = props;
  return (
    <div className={className}>
      {buttons.map(([choice, label, testId], i) => (
        <button
          key={choice}
          type="button"
          className={i === buttons.length - 1 ? mainClass : 'button ghost'}
          onClick={() => answer(choice)}
          disabled={disabled?.(choice)}
          data-testid={testId}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsentPreview as Preview, RouterReason } from '../../escalation/index.ts';
import { formatList } from '../../i18n/format.ts';
import { RouterReasons } from './EscalationNotice.tsx';
import { routerAccuracyText } from './router-accuracy.ts';

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
  const { t } = useTranslation('escalation');
  return (
    <>
      {reasons.length > 0 && (
        <RouterReasons reasons={reasons} testId={`${prefix}-reasons`} className={`${prefix}-reasons`} />
      )}
      {!userAsked && (
        <p className={`muted ${prefix}-small`} data-testid="router-accuracy">
          {routerAccuracyText()}
        </p>
      )}
      <dl className={`${prefix}-destination`}>
        <dt>{t('consent.sentTo')}</dt>
        <dd>
          <span translate="no">{p.destination.providerLabel}</span> {t('consent.at')}{' '}
          <strong data-testid={`${prefix}-host`} translate="no">
            {p.destination.host}
          </strong>
          {p.destination.onThisComputer ? ` ${t('consent.onThisComputer')}` : ''}
        </dd>
        <dt>{t('consent.model')}</dt>
        <dd data-testid={`${prefix}-model`} translate="no">
          {p.destination.model}
        </dd>
        {destinationRows}
      </dl>
      {children}
      {p.redactions.length > 0 && (
        <p className={`muted ${prefix}-small`} data-testid={`${prefix}-redactions`}>
          {t('consent.redactions', {
            list: formatList(
              p.redactions.map((r) => t('consent.redaction', { placeholder: r.placeholder, kind: r.kind })),
              'unit',
            ),
          })}
        </p>
      )}
      <h3>{t('consent.messages')}</h3>
      <ol className={`${prefix}-messages`} data-testid={`${prefix}-messages`}>
        {p.messages.map((m, i) => (
          <li key={i}>
            <strong>{t('consent.role', { role: m.role })}</strong>{' '}
            <span className={`${prefix}-text`} translate="no">
              {m.content}
            </span>
          </li>
        ))}
      </ol>
      <details>
        <summary>{t('consent.exactRequest')}</summary>
        <pre className={`${prefix}-payload`} data-testid={`${prefix}-payload`} translate="no">
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

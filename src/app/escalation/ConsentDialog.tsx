import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { formatMoney } from '../../i18n/format.ts';
import { ConsentActions, ConsentPreview } from './ConsentPreview.tsx';
import { dayText, tokens } from './figures.ts';
import { useDialogFocus } from './use-dialog-focus.ts';
import type { EscalationApi } from './use-escalation.ts';

/**
 * Shows exactly what would leave the device, and asks. Closing the dialog any other way (Escape) counts as
 * Cancel. Focus starts on Cancel, the choice that sends nothing, and goes back where it was when the dialog closes.
 */
export function ConsentDialog({ escalation }: { escalation: EscalationApi }) {
  const { t } = useTranslation('escalation');
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = escalation.pending;
  useDialogFocus(dialog, Boolean(pending), '[data-testid="consent-cancel"]');

  const p = pending?.preview;
  const estimate = p?.estimate;
  const costArgs = estimate && {
    tokens: tokens(estimate.inputTokens),
    maxOutput: tokens(estimate.maxOutputTokens),
    date: dayText(estimate.priceDate),
    estimated: estimate.priceIsEstimate ? 'yes' : 'no',
  };
  return (
    <dialog
      ref={dialog}
      className="dialog consent-dialog"
      data-testid="consent-dialog"
      aria-labelledby="consent-title"
      onCancel={(e) => {
        e.preventDefault();
        pending?.answer('cancel');
      }}
    >
      {pending && p && estimate && costArgs && (
        <div>
          <h2 id="consent-title">{t('consent.title')}</h2>
          <ConsentPreview
            preview={p}
            reasons={pending.reasons}
            userAsked={pending.userAsked}
            prefix="consent"
            destinationRows={
              <>
                <dt>{t('consent.estimatedCost')}</dt>
                <dd data-testid="consent-cost">
                  {estimate.costUsd
                    ? t('consent.cost', {
                        ...costArgs,
                        input: formatMoney(estimate.costUsd.input),
                        upTo: formatMoney(estimate.costUsd.upTo),
                      })
                    : t('consent.costUnknown', costArgs)}
                </dd>
              </>
            }
          >
            <p className="muted" data-testid="consent-budget">
              {t('consent.budget', { maxOutput: costArgs.maxOutput })}
            </p>
          </ConsentPreview>
          {escalation.offlineReason && (
            <p className="warn" role="status" data-testid="consent-offline">
              {escalation.offlineReason}
            </p>
          )}
          <ConsentActions
            className="dialog-actions"
            mainClass="button"
            answer={pending.answer}
            disabled={(choice) => choice !== 'cancel' && escalation.offlineReason !== null}
            buttons={[
              ['cancel', t('consent.cancel'), 'consent-cancel'],
              ['conversation', t('consent.sendConversation'), 'consent-send-conversation'],
              ['once', t('consent.send'), 'consent-send'],
            ]}
          />
        </div>
      )}
    </dialog>
  );
}

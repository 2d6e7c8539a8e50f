import { useEffect, useRef } from 'react';
import { ConsentActions, ConsentPreview } from './ConsentPreview.tsx';
import type { EscalationApi } from './use-escalation.ts';

const usd = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

/** Shows exactly what would leave the device, and asks. Closing the dialog any other way counts as Cancel. */
export function ConsentDialog({ escalation }: { escalation: EscalationApi }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = escalation.pending;

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (pending && !d.open) d.showModal();
    else if (!pending && d.open) d.close();
  }, [pending]);

  const p = pending?.preview;
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
      {pending && p && (
        <div>
          <h2 id="consent-title">Send this to a larger model?</h2>
          <ConsentPreview
            preview={p}
            reasons={pending.reasons}
            userAsked={pending.userAsked}
            prefix="consent"
            destinationRows={
              <>
                <dt>Estimated cost</dt>
                <dd data-testid="consent-cost">
                  about {p.estimate.inputTokens} tokens in
                  {p.estimate.costUsd
                    ? `, ${usd(p.estimate.costUsd.input)} for the input, at most ${usd(p.estimate.costUsd.upTo)} with a ${p.estimate.maxOutputTokens}-token answer`
                    : ', price unknown for this model'}{' '}
                  (prices of {p.estimate.priceDate}
                  {p.estimate.priceIsEstimate ? ', estimated' : ''})
                </dd>
              </>
            }
          >
            <p className="muted" data-testid="consent-budget">
              The answer is cut at {p.estimate.maxOutputTokens} tokens; a reasoning model spends part of them
              thinking. Petit says so when that happens.
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
              ['cancel', 'Cancel', 'consent-cancel'],
              ['conversation', 'Send for this conversation', 'consent-send-conversation'],
              ['once', 'Send', 'consent-send'],
            ]}
          />
        </div>
      )}
    </dialog>
  );
}

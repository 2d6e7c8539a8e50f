import { useEffect, useMemo, useRef } from 'react';
import { ENERGY_SOURCES, PRICE_TABLE_DATE, bucketByDay, summarise } from '../../escalation/index.ts';
import type { EscalationApi } from './use-escalation.ts';

interface Props {
  open: boolean;
  onClose: () => void;
  escalation: EscalationApi;
}

const usd = (n: number) => (n < 0.01 && n > 0 ? `$${n.toFixed(5)}` : `$${n.toFixed(2)}`);
const wh = (r: { low: number; high: number }) => `${r.low.toFixed(3)}–${r.high.toFixed(3)} Wh`;

/** What answering on this device saved: money at the chosen remote model's price, energy as a range, a chart. */
export function SavingsPanel({ open, onClose, escalation }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { savings, price } = escalation;
  const summary = useMemo(() => summarise(savings, price), [savings, price]);
  const days = useMemo(() => bucketByDay(savings, price).slice(-30), [savings, price]);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);

  const maxTokens = Math.max(1, ...days.map((d) => d.localTokens + d.remoteTokens));
  const barWidth = days.length ? 280 / days.length : 0;
  return (
    <dialog
      ref={dialog}
      className="dialog"
      onClose={onClose}
      aria-labelledby="savings-title"
      data-testid="savings-panel"
    >
      <h2 id="savings-title">Savings</h2>
      <p data-testid="savings-answers">
        {summary.answers.local} answers on this device ({summary.tokens.localIn} tokens in,{' '}
        {summary.tokens.localOut} out), {summary.answers.remote} by a remote model ({summary.tokens.remoteIn}{' '}
        in, {summary.tokens.remoteOut} out).
      </p>
      <p data-testid="savings-money">
        Not spent: <strong>{usd(summary.moneySavedUsd)}</strong> at {summary.priceModel} prices ($
        {price.inputPerMTok} in / ${price.outputPerMTok} out per million tokens, table of {PRICE_TABLE_DATE}
        {price.estimate ? ', estimated' : ''}). Spent remotely: {usd(summary.moneySpentUsd)}.
      </p>
      <p data-testid="savings-energy">
        Energy: a large hosted model would have used {wh(summary.energy.remoteAvoidedWh)}; this device used{' '}
        {wh(summary.energy.localUsedWh)}; net {wh(summary.energy.netSavedWh)} (a range: it can be negative on
        a slow device).
      </p>
      {days.length > 0 && (
        <svg
          viewBox="0 0 300 100"
          className="savings-chart"
          role="img"
          aria-label="Tokens per day, on this device and remote"
          data-testid="savings-chart"
        >
          {days.map((d, i) => {
            const local = (d.localTokens / maxTokens) * 90;
            const remote = (d.remoteTokens / maxTokens) * 90;
            return (
              <g key={d.day}>
                <title>{`${d.day}: ${d.localTokens} tokens on this device, ${d.remoteTokens} remote, ${usd(d.savedUsd)} saved`}</title>
                <rect
                  x={10 + i * barWidth}
                  y={95 - local}
                  width={Math.max(1, barWidth - 2)}
                  height={local}
                  className="bar-local"
                />
                <rect
                  x={10 + i * barWidth}
                  y={95 - local - remote}
                  width={Math.max(1, barWidth - 2)}
                  height={remote}
                  className="bar-remote"
                />
              </g>
            );
          })}
        </svg>
      )}
      <section data-testid="router-learned" aria-labelledby="router-learned-title">
        <h3 id="router-learned-title">What the router learned from you</h3>
        <p data-testid="router-learned-count">
          {escalation.routerWeights.corrections.needsLarge} × “not good enough”,{' '}
          {escalation.routerWeights.corrections.fine} × “this answer was fine”. Kept on this device only, and
          in your JSON export.
        </p>
        {escalation.learned.length > 0 ? (
          <ul data-testid="router-learned-list">
            {escalation.learned.map((a) => (
              <li key={a.feature}>{a.text}</li>
            ))}
          </ul>
        ) : (
          <p className="muted">Nothing yet: the router uses only what it shipped with.</p>
        )}
        <button
          type="button"
          className="button ghost"
          data-testid="router-learned-reset"
          disabled={escalation.learned.length === 0 && escalation.routerWeights.bias === 0}
          onClick={() => void escalation.resetRouterWeights()}
        >
          Forget what it learned
        </button>
      </section>
      <details>
        <summary>Energy sources</summary>
        <ul>
          {ENERGY_SOURCES.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      </details>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onClose} data-testid="savings-close">
          Close
        </button>
      </div>
    </dialog>
  );
}

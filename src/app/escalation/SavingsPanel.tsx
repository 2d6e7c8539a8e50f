import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { ENERGY_SOURCES, PRICE_TABLE_DATE, bucketByDay, summarise } from '../../escalation/index.ts';
import { learnedText } from '../../escalation/router-user-weights.ts';
import { formatMoney, formatNumber } from '../../i18n/format.ts';
import { dayText, tokens } from './figures.ts';
import { useDialogFocus } from './use-dialog-focus.ts';
import type { EscalationApi } from './use-escalation.ts';

interface Props {
  open: boolean;
  onClose: () => void;
  escalation: EscalationApi;
}

const wattHours = (n: number) => formatNumber(n, { minimumFractionDigits: 3, maximumFractionDigits: 3 });

/** What answering on this device saved: money at the chosen remote model's price, energy as a range, a chart. */
export function SavingsPanel({ open, onClose, escalation }: Props) {
  const { t } = useTranslation('escalation');
  const dialog = useRef<HTMLDialogElement>(null);
  const { savings, price } = escalation;
  const summary = useMemo(() => summarise(savings, price), [savings, price]);
  const days = useMemo(() => bucketByDay(savings, price).slice(-30), [savings, price]);
  useDialogFocus(dialog, open);
  const wh = (r: { low: number; high: number }) =>
    t('savings.wattHours', { low: wattHours(r.low), high: wattHours(r.high) });

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
      <h2 id="savings-title">{t('savings.title')}</h2>
      <p data-testid="savings-answers">
        {t('savings.answers', {
          local: summary.answers.local,
          remote: tokens(summary.answers.remote),
          localIn: tokens(summary.tokens.localIn),
          localOut: tokens(summary.tokens.localOut),
          remoteIn: tokens(summary.tokens.remoteIn),
          remoteOut: tokens(summary.tokens.remoteOut),
        })}
      </p>
      <p data-testid="savings-money">
        {t('savings.notSpent')} <strong>{formatMoney(summary.moneySavedUsd)}</strong>{' '}
        {t('savings.prices', {
          model: summary.priceModel,
          input: formatMoney(price.inputPerMTok),
          output: formatMoney(price.outputPerMTok),
          date: dayText(PRICE_TABLE_DATE),
          estimated: price.estimate ? 'yes' : 'no',
          spent: formatMoney(summary.moneySpentUsd),
        })}
      </p>
      <p data-testid="savings-energy">
        {t('savings.energy', {
          remote: wh(summary.energy.remoteAvoidedWh),
          local: wh(summary.energy.localUsedWh),
          net: wh(summary.energy.netSavedWh),
        })}
      </p>
      {days.length > 0 && (
        <svg
          viewBox="0 0 300 100"
          className="savings-chart"
          role="img"
          aria-label={t('savings.chart')}
          data-testid="savings-chart"
        >
          {days.map((d, i) => {
            const local = (d.localTokens / maxTokens) * 90;
            const remote = (d.remoteTokens / maxTokens) * 90;
            return (
              <g key={d.day}>
                <title>
                  {t('savings.day', {
                    day: dayText(d.day),
                    local: tokens(d.localTokens),
                    remote: tokens(d.remoteTokens),
                    saved: formatMoney(d.savedUsd),
                  })}
                </title>
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
        <h3 id="router-learned-title">{t('savings.learnedTitle')}</h3>
        <p data-testid="router-learned-count">
          {t('savings.learnedCount', {
            large: tokens(escalation.routerWeights.corrections.needsLarge),
            fine: tokens(escalation.routerWeights.corrections.fine),
          })}
        </p>
        {escalation.learned.length > 0 ? (
          <ul data-testid="router-learned-list">
            {escalation.learned.map((a) => (
              <li key={a.feature}>{learnedText(a)}</li>
            ))}
          </ul>
        ) : (
          <p className="muted">{t('savings.nothingLearned')}</p>
        )}
        <button
          type="button"
          className="button ghost"
          data-testid="router-learned-reset"
          disabled={escalation.learned.length === 0 && escalation.routerWeights.bias === 0}
          onClick={() => void escalation.resetRouterWeights()}
        >
          {t('savings.forget')}
        </button>
      </section>
      <details>
        <summary>{t('savings.sources')}</summary>
        {/* Titles of published works, cited as they were written. */}
        <ul translate="no">
          {ENERGY_SOURCES.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      </details>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onClose} data-testid="savings-close">
          {t('savings.close')}
        </button>
      </div>
    </dialog>
  );
}

import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { describeError } from '../../i18n/errors.ts';
import { formatBytes } from '../../i18n/format.ts';
import { announceModelsChanged } from '../../models/local-import.ts';
import { applyUpdate, checkForUpdate, type UpdateCheck } from '../../models/model-update.ts';
import { isCommit } from '../../models/pins.ts';
import type { StoredModel } from '../../models/store.ts';
import { modelStore } from './use-models.ts';

/** What was said last, kept as facts and worded when shown (the language may change meanwhile). */
type Said =
  | { kind: 'up-to-date'; revision: string; commit: string }
  | { kind: 'updated'; commit: string; files: number; bytes: number }
  | { kind: 'kept'; commit: string | null }
  | { kind: 'error'; error: unknown };

type State =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'found'; check: UpdateCheck }
  | { kind: 'updating'; check: UpdateCheck; loaded: number }
  | { kind: 'said'; said: Said };

const short = (commit: string) => commit.slice(0, 7);

/** The commit a stored model is pinned to, and "Check for update": what changed, and a download only on yes. */
export function PinnedCommit({ model }: { model: StoredModel }) {
  const { t } = useTranslation('models');
  const [state, setState] = useState<State>({ kind: 'idle' });
  const pinned = model.commit;
  const say = (said: Said) => setState({ kind: 'said', said });

  const check = async () => {
    setState({ kind: 'checking' });
    try {
      const found = await checkForUpdate(modelStore, model);
      if (found.commit === found.pinned && found.changes.length === 0)
        say({ kind: 'up-to-date', revision: model.revision, commit: short(found.commit) });
      else setState({ kind: 'found', check: found });
    } catch (error) {
      say({ kind: 'error', error });
    }
  };

  const accept = async (found: UpdateCheck) => {
    setState({ kind: 'updating', check: found, loaded: 0 });
    try {
      await applyUpdate(modelStore, found, {
        onProgress: ({ loaded }) => setState({ kind: 'updating', check: found, loaded }),
      });
      const files = found.changes.filter((c) => c.kind === 'changed').length;
      say({ kind: 'updated', commit: short(found.commit), files, bytes: found.downloadBytes });
      announceModelsChanged();
    } catch (error) {
      say({ kind: 'error', error });
    }
  };

  const words = (said: Said): string => {
    switch (said.kind) {
      case 'up-to-date':
        return t('pin.upToDate', { revision: said.revision, commit: said.commit });
      case 'updated':
        return t('pin.updated', { commit: said.commit, files: said.files, size: formatBytes(said.bytes) });
      case 'kept':
        return said.commit ? t('pin.kept', { commit: said.commit }) : t('pin.keptFiles');
      case 'error':
        return describeError(said.error);
    }
  };

  return (
    <div className="pinned-commit" data-testid="pinned-commit">
      {pinned ? (
        <span>
          <Trans
            t={t}
            i18nKey="pin.commit"
            values={{ commit: short(pinned) }}
            components={{ code: <code title={pinned} data-testid="stored-commit" translate="no" /> }}
          />
        </span>
      ) : (
        <span className="muted" data-testid="stored-commit-none">
          {t('pin.none')}
        </span>
      )}{' '}
      {/* A revision that is a commit (a catalog pin) has nothing newer to resolve to. */}
      {isCommit(model.revision) ? (
        <span className="muted">{t('pin.byCatalog')}</span>
      ) : (
        (state.kind === 'idle' || state.kind === 'said') && (
          <button
            type="button"
            className="button ghost small"
            onClick={() => void check()}
            data-testid="check-update"
          >
            {t('pin.check')}
          </button>
        )
      )}
      {state.kind === 'checking' && <span role="status">{t('pin.asking')}</span>}
      {state.kind === 'said' && (
        <p
          role={state.said.kind === 'error' ? 'alert' : 'status'}
          className={state.said.kind === 'error' ? 'error-text' : ''}
          data-testid="update-status"
        >
          {words(state.said)}
        </p>
      )}
      {(state.kind === 'found' || state.kind === 'updating') && (
        <UpdateOffer
          check={state.check}
          loaded={state.kind === 'updating' ? state.loaded : null}
          onAccept={() => void accept(state.check)}
          onDecline={() => say({ kind: 'kept', commit: pinned ? short(pinned) : null })}
        />
      )}
    </div>
  );
}

function UpdateOffer(props: {
  check: UpdateCheck;
  loaded: number | null;
  onAccept: () => void;
  onDecline: () => void;
}) {
  const { t } = useTranslation('models');
  const { check, loaded } = props;
  const to = short(check.commit);
  const size = (bytes: number | null) => (bytes === null ? t('pin.sizeUnknown') : formatBytes(bytes));
  return (
    <div className="update-offer" role="group" aria-label={t('pin.offer')} data-testid="update-offer">
      <p>
        <Trans
          t={t}
          i18nKey={check.pinned ? 'pin.nowAtFrom' : 'pin.nowAt'}
          values={{ revision: check.revision, to, from: check.pinned ? short(check.pinned) : '' }}
          components={{
            to: <code title={check.commit} translate="no" />,
            from: <code title={check.pinned ?? ''} translate="no" />,
          }}
        />{' '}
        {check.changes.length === 0 ? t('pin.noChange') : t('pin.changed')}
      </p>
      {check.changes.length > 0 && (
        <ul data-testid="update-changes">
          {check.changes.map((c) => (
            <li key={c.path}>
              <code translate="no">{c.path}</code>{' '}
              {c.kind === 'removed'
                ? t('pin.removed', { size: size(c.oldSize) })
                : t('pin.sizes', { from: size(c.oldSize), to: size(c.newSize) })}
            </li>
          ))}
        </ul>
      )}
      {loaded === null ? (
        <p>
          <button type="button" className="button small" onClick={props.onAccept} data-testid="accept-update">
            {check.downloadBytes > 0
              ? t('pin.download', { commit: to, size: formatBytes(check.downloadBytes) })
              : t('pin.pinTo', { commit: to })}
          </button>{' '}
          <button
            type="button"
            className="button ghost small"
            onClick={props.onDecline}
            data-testid="decline-update"
          >
            {check.pinned ? t('pin.keepCommit', { commit: short(check.pinned) }) : t('pin.keepFiles')}
          </button>
        </p>
      ) : (
        <div role="status">
          <p>
            {t('pin.downloading', {
              commit: to,
              loaded: formatBytes(loaded),
              total: formatBytes(check.downloadBytes),
            })}
          </p>
          <progress
            max={Math.max(1, check.downloadBytes)}
            value={loaded}
            aria-label={t('pin.progress')}
            aria-valuetext={t('progressText', {
              done: formatBytes(loaded),
              total: formatBytes(check.downloadBytes),
            })}
          />
        </div>
      )}
    </div>
  );
}

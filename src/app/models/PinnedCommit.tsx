import { useState } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import { formatSize } from '../../models/format-size.ts';
import { announceModelsChanged } from '../../models/local-import.ts';
import { applyUpdate, checkForUpdate, type UpdateCheck } from '../../models/model-update.ts';
import { isCommit } from '../../models/pins.ts';
import type { StoredModel } from '../../models/store.ts';
import { modelStore } from './use-models.ts';

type State =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'found'; check: UpdateCheck }
  | { kind: 'updating'; check: UpdateCheck; loaded: number }
  | { kind: 'said'; message: string; error?: boolean };

const short = (commit: string) => commit.slice(0, 7);

/** The commit a stored model is pinned to, and "Check for update": what changed, and a download only on yes. */
export function PinnedCommit({ model }: { model: StoredModel }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const pinned = model.commit;

  const check = async () => {
    setState({ kind: 'checking' });
    try {
      const found = await checkForUpdate(modelStore, model);
      if (found.commit === found.pinned && found.changes.length === 0)
        setState({
          kind: 'said',
          message: `Up to date: ${model.revision} is still at ${short(found.commit)}.`,
        });
      else setState({ kind: 'found', check: found });
    } catch (error) {
      setState({ kind: 'said', message: toPetitError(error).message, error: true });
    }
  };

  const accept = async (found: UpdateCheck) => {
    setState({ kind: 'updating', check: found, loaded: 0 });
    try {
      await applyUpdate(modelStore, found, {
        onProgress: ({ loaded }) => setState({ kind: 'updating', check: found, loaded }),
      });
      const files = found.changes.filter((c) => c.kind === 'changed').length;
      setState({
        kind: 'said',
        message: `Updated to ${short(found.commit)}: ${files} file${files === 1 ? '' : 's'} downloaded (${formatSize(found.downloadBytes)}).`,
      });
      announceModelsChanged();
    } catch (error) {
      setState({ kind: 'said', message: toPetitError(error).message, error: true });
    }
  };

  return (
    <div className="pinned-commit" data-testid="pinned-commit">
      {pinned ? (
        <span>
          commit{' '}
          <code title={pinned} data-testid="stored-commit">
            {short(pinned)}
          </code>
        </span>
      ) : (
        <span className="muted" data-testid="stored-commit-none">
          not pinned to a commit
        </span>
      )}{' '}
      {/* A revision that is a commit (a catalog pin) has nothing newer to resolve to. */}
      {isCommit(model.revision) ? (
        <span className="muted">pinned by the catalog</span>
      ) : (
        (state.kind === 'idle' || state.kind === 'said') && (
          <button
            type="button"
            className="button ghost small"
            onClick={() => void check()}
            data-testid="check-update"
          >
            Check for update
          </button>
        )
      )}
      {state.kind === 'checking' && <span role="status">Asking the hub…</span>}
      {state.kind === 'said' && (
        <p
          role={state.error ? 'alert' : 'status'}
          className={state.error ? 'error-text' : ''}
          data-testid="update-status"
        >
          {state.message}
        </p>
      )}
      {(state.kind === 'found' || state.kind === 'updating') && (
        <UpdateOffer
          check={state.check}
          loaded={state.kind === 'updating' ? state.loaded : null}
          onAccept={() => void accept(state.check)}
          onDecline={() =>
            setState({
              kind: 'said',
              message: `Kept ${pinned ? short(pinned) : 'the stored files'}; nothing was downloaded.`,
            })
          }
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
  const { check, loaded } = props;
  const to = short(check.commit);
  return (
    <div className="update-offer" role="group" aria-label="Update" data-testid="update-offer">
      <p>
        {check.revision} is now at <code title={check.commit}>{to}</code>
        {check.pinned && (
          <>
            {' '}
            (this copy: <code title={check.pinned}>{short(check.pinned)}</code>)
          </>
        )}
        . {check.changes.length === 0 ? 'None of the stored files changed.' : 'Changed:'}
      </p>
      {check.changes.length > 0 && (
        <ul data-testid="update-changes">
          {check.changes.map((c) => (
            <li key={c.path}>
              <code>{c.path}</code>{' '}
              {c.kind === 'removed'
                ? `removed (${formatSize(c.oldSize)})`
                : `${formatSize(c.oldSize)} → ${c.newSize === null ? 'size unknown' : formatSize(c.newSize)}`}
            </li>
          ))}
        </ul>
      )}
      {loaded === null ? (
        <p>
          <button type="button" className="button small" onClick={props.onAccept} data-testid="accept-update">
            {check.downloadBytes > 0 ? `Download ${to} (${formatSize(check.downloadBytes)})` : `Pin ${to}`}
          </button>{' '}
          <button
            type="button"
            className="button ghost small"
            onClick={props.onDecline}
            data-testid="decline-update"
          >
            Keep {check.pinned ? short(check.pinned) : 'these files'}
          </button>
        </p>
      ) : (
        <p role="status">
          Downloading {to}… {formatSize(loaded)} of {formatSize(check.downloadBytes)}
        </p>
      )}
    </div>
  );
}

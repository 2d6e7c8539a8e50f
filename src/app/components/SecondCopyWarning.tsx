import { useEffect, useRef, useState } from 'react';
import type { PetitEngine } from 'petit';

interface Pending {
  repo: string;
  bytes: number;
  tabs: number;
  answer: (load: boolean) => void;
}

function size(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/**
 * Asks before this tab loads a second copy of a large model another tab already holds (the engine finds out
 * through Web Locks and waits for the answer). Cancel leaves this tab as it was.
 */
export function SecondCopyWarning({ engine }: { engine: PetitEngine }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    engine.setSecondCopyGuard(
      (model) => new Promise<boolean>((resolve) => setPending({ ...model, answer: resolve })),
    );
    return () => engine.setSecondCopyGuard(null);
  }, [engine]);

  useEffect(() => {
    if (pending && !dialog.current?.open) dialog.current?.showModal();
  }, [pending]);

  const answer = (load: boolean) => {
    pending?.answer(load);
    setPending(null);
    dialog.current?.close();
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      data-testid="second-copy-warning"
      aria-labelledby="second-copy-title"
      onCancel={() => answer(false)}
    >
      {pending && (
        <>
          <h2 id="second-copy-title">Already loaded in another tab</h2>
          <p>
            {pending.repo} ({size(pending.bytes)}) is loaded in{' '}
            {pending.tabs === 1 ? 'another tab' : `${pending.tabs} other tabs`}. A second copy here takes as
            much memory again and may slow down or crash both tabs. Use the other tab, or close it first.
          </p>
          <div className="dialog-actions">
            <button
              type="button"
              className="button"
              data-testid="second-copy-cancel"
              onClick={() => answer(false)}
              autoFocus
            >
              Don’t load
            </button>
            <button
              type="button"
              className="button ghost"
              data-testid="second-copy-load"
              onClick={() => answer(true)}
            >
              Load a second copy
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

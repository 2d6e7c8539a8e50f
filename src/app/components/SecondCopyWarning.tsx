import { useEffect, useRef, useState } from 'react';
import type { PetitEngine } from 'petit';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format.ts';

interface Pending {
  repo: string;
  bytes: number;
  tabs: number;
  answer: (load: boolean) => void;
}

/**
 * Asks before this tab loads a second copy of a large model another tab already holds (the engine finds out
 * through Web Locks and waits for the answer). Cancel leaves this tab as it was.
 */
export function SecondCopyWarning({ engine }: { engine: PetitEngine }) {
  const { t } = useTranslation();
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
          <h2 id="second-copy-title">{t('secondCopy.title')}</h2>
          <p>
            {t('secondCopy.body', {
              repo: pending.repo,
              size: formatBytes(pending.bytes),
              tabs: pending.tabs,
            })}
          </p>
          <div className="dialog-actions">
            <button
              type="button"
              className="button"
              data-testid="second-copy-cancel"
              onClick={() => answer(false)}
              autoFocus
            >
              {t('secondCopy.cancel')}
            </button>
            <button
              type="button"
              className="button ghost"
              data-testid="second-copy-load"
              onClick={() => answer(true)}
            >
              {t('secondCopy.load')}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

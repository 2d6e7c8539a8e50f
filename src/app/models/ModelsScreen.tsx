import { useEffect, useMemo, useRef, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format.ts';
import { requestPersistence } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { DTYPE_LABELS, chooseRuntime } from '../../models/chooser.ts';
import type { OnnxDtype } from '../../models/estimates.ts';
import { announceModelsChanged, localEntry } from '../../models/local-import.ts';
import type { StoredModel } from '../../models/store.ts';
import { chooserPrefs, loadSettings } from '../settings.ts';
import { AddFolder } from './AddFolder.tsx';
import { ModelCard } from './ModelCard.tsx';
import { dtypeLabel, fullName } from './model-text.ts';
import { StoredModelRow } from './StoredModelRow.tsx';
import { modelStore, useCapabilities, useStoredModels } from './use-models.ts';
import './models.css';

interface Props {
  open: boolean;
  onClose: () => void;
  catalog: readonly CatalogEntry[];
}

function entryFor(model: StoredModel, catalog: readonly CatalogEntry[]): CatalogEntry | undefined {
  if (model.source === 'local') {
    const dtypes = model.dtypes.filter((d): d is OnnxDtype => d in DTYPE_LABELS);
    return localEntry(model.repo.replace(/^local\//, ''), dtypes);
  }
  return catalog.find((e) => e.repo === model.repo);
}

/** Kept as facts, worded when shown: the language may change while the notice is on screen. */
interface Deleted {
  name: string;
  bytes: number;
}

/** The Models screen: what is on this device, how much room is left, model cards, and models from disk. */
export function ModelsScreen({ open, onClose, catalog }: Props) {
  const { t } = useTranslation('models');
  const dialog = useRef<HTMLDialogElement>(null);
  const caps = useCapabilities();
  // Settings → Runtime, read when the screen opens: the cards say what the next Load would run.
  const prefs = useMemo(() => (open ? chooserPrefs(loadSettings().runtime) : {}), [open]);
  const { models, refresh } = useStoredModels(open);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<Deleted | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      // Focus goes back where it was (the Models button) when the screen closes.
      const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      d.showModal();
      const restore = () => before?.isConnected && before.focus();
      d.addEventListener('close', restore, { once: true });
    } else if (!open && d.open) d.close();
  }, [open]);

  const entries = useMemo(() => {
    const local = (models ?? [])
      .filter((m) => m.source === 'local')
      .map((m) => entryFor(m, catalog))
      .filter((e): e is CatalogEntry => !!e);
    return [...local, ...catalog];
  }, [models, catalog]);
  const card = entries.find((e) => e.id === selected) ?? null;
  const storage = caps?.storage;
  const free = storage?.quota != null && storage.usage != null ? storage.quota - storage.usage : null;

  const remove = async (model: StoredModel) => {
    await modelStore.deleteModel(model.prefix);
    setConfirming(null);
    announceModelsChanged();
    refresh();
    setDeleted({ name: model.repo, bytes: model.bytes + model.partialBytes });
  };

  return (
    <dialog
      ref={dialog}
      className="dialog models-screen"
      onClose={onClose}
      aria-labelledby="models-title"
      data-testid="models-screen"
    >
      <header className="models-head">
        <h2 id="models-title">{t('screen.title')}</h2>
        <button type="button" className="button ghost" onClick={onClose} data-testid="close-models">
          {t('screen.close')}
        </button>
      </header>

      <section className="models-storage" aria-label={t('storage.label')}>
        {storage?.quota != null && storage.usage != null ? (
          <>
            <meter
              min={0}
              max={storage.quota}
              value={storage.usage}
              aria-label={t('storage.meter')}
              aria-valuetext={t('storage.meterText', {
                used: formatBytes(storage.usage),
                quota: formatBytes(storage.quota),
              })}
              data-testid="storage-meter"
            />
            <p>
              <Trans
                t={t}
                i18nKey="storage.usage"
                values={{ used: formatBytes(storage.usage), free: formatBytes(free ?? 0) }}
                components={{
                  used: <strong data-testid="storage-used" />,
                  free: <strong data-testid="storage-free" />,
                }}
              />
            </p>
          </>
        ) : (
          <p className="muted">{t('storage.unknown')}</p>
        )}
        <p data-testid="persistence" data-persisted={String(storage?.persisted ?? 'unknown')}>
          {storage?.persisted ? t('storage.kept') : t('storage.notKept')}{' '}
          {!storage?.persisted && (
            <button
              type="button"
              className="button ghost small"
              onClick={() => void requestPersistence().then(announceModelsChanged)}
            >
              {t('storage.keep')}
            </button>
          )}
        </p>
        {deleted && (
          <p role="status" data-testid="models-notice">
            <Trans
              t={t}
              i18nKey="storage.deleted"
              values={{ name: deleted.name, size: formatBytes(deleted.bytes) }}
              components={{ name: <span translate="no" /> }}
            />
          </p>
        )}
      </section>

      <div className="models-body">
        <div className="models-lists">
          <section aria-labelledby="stored-title">
            <h3 id="stored-title">{t('stored.title')}</h3>
            {models === null ? (
              <p className="muted">{t('stored.reading')}</p>
            ) : models.length === 0 ? (
              <p className="muted" data-testid="no-stored-models">
                {t('stored.none')}
              </p>
            ) : (
              <ul className="stored-models">
                {models.map((m) => (
                  <StoredModelRow
                    key={m.prefix}
                    model={m}
                    entry={entryFor(m, catalog)}
                    confirming={confirming === m.prefix}
                    onSelect={(entry) => setSelected(entry.id)}
                    onAskDelete={() => setConfirming(m.prefix)}
                    onDelete={() => void remove(m)}
                    onKeep={() => setConfirming(null)}
                  />
                ))}
              </ul>
            )}
          </section>

          <AddFolder
            onAdded={(entry) => {
              refresh();
              setSelected(entry.id);
            }}
          />

          <section aria-labelledby="catalog-title">
            <h3 id="catalog-title">{t('catalog.title')}</h3>
            <ul className="catalog-list">
              {entries.map((e) => {
                const choice = caps ? chooseRuntime(e, caps, prefs) : null;
                const name = fullName(e);
                return (
                  <li key={e.id}>
                    <button
                      type="button"
                      className={`catalog-item${selected === e.id ? ' selected' : ''}`}
                      aria-pressed={selected === e.id}
                      onClick={() => setSelected(e.id)}
                      data-testid="catalog-item"
                      data-id={e.id}
                    >
                      <span className="catalog-name" title={name} translate="no">
                        {name}
                      </span>
                      <span className={`badge ${choice?.ok ? 'badge-ok' : 'badge-no'}`}>
                        {!choice ? (
                          <>
                            <span aria-hidden="true">{t('catalog.checking')}</span>
                            <span className="visually-hidden">{t('catalog.checkingLabel')}</span>
                          </>
                        ) : choice.ok ? (
                          choice.backend === 'transformers' ? (
                            t('catalog.runs', {
                              dtype: dtypeLabel(choice.dtype),
                              device: choice.device === 'webgpu' ? 'WebGPU' : 'WASM',
                            })
                          ) : (
                            t('catalog.webllm')
                          )
                        ) : (
                          t('catalog.cannotRun')
                        )}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        </div>
        <aside className="models-card-pane" aria-live="polite">
          {card ? (
            <ModelCard entry={card} choice={caps ? chooseRuntime(card, caps, prefs) : null} />
          ) : (
            <p className="muted">{t('screen.cardPrompt')}</p>
          )}
        </aside>
      </div>
    </dialog>
  );
}

import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import { requestPersistence } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { DTYPE_LABELS, chooseRuntime } from '../../models/chooser.ts';
import type { OnnxDtype } from '../../models/estimates.ts';
import { formatSize } from '../../models/format-size.ts';
import {
  announceModelsChanged,
  filesFromDrop,
  filesFromInput,
  importFolder,
  inspectFolder,
  localEntry,
  type LocalFile,
} from '../../models/local-import.ts';
import { LOCAL_HUB_URL, type StoredModel } from '../../models/store.ts';
import { chooserPrefs, loadSettings } from '../settings.ts';
import { ModelCard } from './ModelCard.tsx';
import { PinnedCommit } from './PinnedCommit.tsx';
import { modelStore, useCapabilities, useStoredModels } from './use-models.ts';
import './models.css';

interface Props {
  open: boolean;
  onClose: () => void;
  catalog: readonly CatalogEntry[];
}

function when(time: number | null): string {
  if (!time) return 'never';
  const date = new Date(time);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? `today ${date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
    : date.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

function host(url: string): string {
  if (url === LOCAL_HUB_URL) return 'from disk';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function entryFor(model: StoredModel, catalog: readonly CatalogEntry[]): CatalogEntry | undefined {
  if (model.source === 'local') {
    const dtypes = model.dtypes.filter((d): d is OnnxDtype => d in DTYPE_LABELS);
    return localEntry(model.repo.replace(/^local\//, ''), dtypes);
  }
  return catalog.find((e) => e.repo === model.repo);
}

type ImportState =
  | { kind: 'idle' }
  | { kind: 'working'; name: string; done: number; total: number }
  | { kind: 'done'; message: string }
  | { kind: 'error'; message: string };

/** The Models screen: what is on this device, how much room is left, model cards, and models from disk. */
export function ModelsScreen({ open, onClose, catalog }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const caps = useCapabilities();
  // Settings → Runtime, read when the screen opens: the cards say what the next Load would run.
  const prefs = useMemo(() => (open ? chooserPrefs(loadSettings().runtime) : {}), [open]);
  const { models, refresh } = useStoredModels(open);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [importing, setImporting] = useState<ImportState>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
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
    setNotice(`Deleted ${model.repo}: ${formatSize(model.bytes + model.partialBytes)} freed.`);
  };

  const add = async (read: () => Promise<{ folder: string; files: LocalFile[] }>) => {
    try {
      const { folder, files } = await read();
      if (files.length === 0) return;
      const inspection = await inspectFolder(folder, files);
      setImporting({ kind: 'working', name: inspection.name, done: 0, total: inspection.bytes });
      const entry = await importFolder(modelStore, inspection, (done, total) =>
        setImporting({ kind: 'working', name: inspection.name, done, total }),
      );
      announceModelsChanged();
      refresh();
      setSelected(entry.id);
      setImporting({
        kind: 'done',
        message: `Added ${inspection.name} (${inspection.dtypes.map((d) => DTYPE_LABELS[d]).join(', ')}, ${formatSize(inspection.bytes)}). Pick “${entry.label}” in the model list to load it.`,
      });
    } catch (error) {
      setImporting({ kind: 'error', message: toPetitError(error).message });
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const data = event.dataTransfer;
    void add(() => filesFromDrop(data));
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
        <h2 id="models-title">Models</h2>
        <button type="button" className="button ghost" onClick={onClose} data-testid="close-models">
          Close
        </button>
      </header>

      <section className="models-storage" aria-label="Storage">
        {storage?.quota != null && storage.usage != null ? (
          <>
            <meter
              min={0}
              max={storage.quota}
              value={storage.usage}
              aria-label="Storage used"
              data-testid="storage-meter"
            />
            <p>
              <strong data-testid="storage-used">{formatSize(storage.usage)}</strong> used ·{' '}
              <strong data-testid="storage-free">{formatSize(free ?? 0)}</strong> free for this site
            </p>
          </>
        ) : (
          <p className="muted">This browser does not say how much storage it allows.</p>
        )}
        <p data-testid="persistence" data-persisted={String(storage?.persisted ?? 'unknown')}>
          {storage?.persisted
            ? 'Kept: the browser has promised not to clear these models.'
            : 'Not kept yet: the browser may clear models when the disk runs low.'}{' '}
          {!storage?.persisted && (
            <button
              type="button"
              className="button ghost small"
              onClick={() => void requestPersistence().then(announceModelsChanged)}
            >
              Keep models on this device
            </button>
          )}
        </p>
        {notice && (
          <p role="status" data-testid="models-notice">
            {notice}
          </p>
        )}
      </section>

      <div className="models-body">
        <div className="models-lists">
          <section aria-labelledby="stored-title">
            <h3 id="stored-title">On this device</h3>
            {models === null ? (
              <p className="muted">Reading the model store…</p>
            ) : models.length === 0 ? (
              <p className="muted" data-testid="no-stored-models">
                No model is stored yet. Load one, or add a folder below.
              </p>
            ) : (
              <ul className="stored-models">
                {models.map((m) => {
                  const entry = entryFor(m, catalog);
                  return (
                    <li key={m.prefix} data-testid="stored-model" data-repo={m.repo}>
                      <div className="stored-main">
                        <button
                          type="button"
                          className="link stored-name"
                          title={entry?.label ?? m.repo}
                          onClick={() => entry && setSelected(entry.id)}
                          disabled={!entry}
                        >
                          {entry?.label ?? m.repo}
                        </button>
                        <span className="muted">
                          {m.dtypes.map((d) => DTYPE_LABELS[d as OnnxDtype] ?? d).join(', ') || 'incomplete'}{' '}
                          · {host(m.hubUrl)}
                          {m.revision !== 'main' && ` @ ${m.revision.slice(0, 8)}`}
                        </span>
                        {m.source === 'hub' && <PinnedCommit model={m} />}
                      </div>
                      <div className="stored-meta">
                        <span data-testid="stored-size">{formatSize(m.bytes)}</span>
                        {m.partialBytes > 0 && (
                          <span className="warn" data-testid="stored-partial">
                            + {formatSize(m.partialBytes)} of an interrupted download
                          </span>
                        )}
                        <span className="muted">last used {when(m.lastUsed)}</span>
                      </div>
                      <div className="stored-actions">
                        {confirming === m.prefix ? (
                          <>
                            <button
                              type="button"
                              className="button danger small"
                              onClick={() => void remove(m)}
                              data-testid="confirm-delete"
                              autoFocus
                            >
                              Delete {formatSize(m.bytes + m.partialBytes)}
                            </button>
                            <button
                              type="button"
                              className="button ghost small"
                              onClick={() => setConfirming(null)}
                            >
                              Keep
                            </button>
                          </>
                        ) : (
                          <button
                            type="button"
                            className="button ghost small"
                            onClick={() => setConfirming(m.prefix)}
                            data-testid="delete-model"
                            aria-label={`Delete ${entry?.label ?? m.repo}`}
                          >
                            Delete
                          </button>
                        )}
                      </div>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>

          <section aria-labelledby="add-title">
            <h3 id="add-title">Add a model from this device</h3>
            <div
              className={`drop-zone${dragging ? ' dragging' : ''}`}
              onDragOver={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={onDrop}
              data-testid="drop-zone"
            >
              <p>
                Drop a transformers.js model folder here (config.json, tokenizer files and onnx/), or{' '}
                <label className="link">
                  choose a folder
                  <input
                    type="file"
                    className="visually-hidden"
                    // @ts-expect-error: webkitdirectory is not in React's types but every current browser has it.
                    webkitdirectory=""
                    multiple
                    data-testid="add-folder-input"
                    onChange={(e) => {
                      const list = e.currentTarget.files;
                      if (list) void add(async () => filesFromInput(list));
                      e.currentTarget.value = '';
                    }}
                  />
                </label>
                . It is copied into the browser’s storage and never uploaded.
              </p>
              {importing.kind === 'working' && (
                <p role="status">
                  Adding {importing.name}… {formatSize(importing.done)} of {formatSize(importing.total)}
                </p>
              )}
              {importing.kind === 'done' && (
                <p role="status" data-testid="import-status">
                  {importing.message}
                </p>
              )}
              {importing.kind === 'error' && (
                <p role="alert" className="error-text" data-testid="import-status">
                  {importing.message}
                </p>
              )}
            </div>
          </section>

          <section aria-labelledby="catalog-title">
            <h3 id="catalog-title">Catalog</h3>
            <ul className="catalog-list">
              {entries.map((e) => {
                const choice = caps ? chooseRuntime(e, caps, prefs) : null;
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
                      <span className="catalog-name" title={`${e.label}${e.params ? ` · ${e.params}` : ''}`}>
                        {e.label}
                        {e.params && <span className="muted"> · {e.params}</span>}
                      </span>
                      <span className={`badge ${choice?.ok ? 'badge-ok' : 'badge-no'}`}>
                        {!choice
                          ? '…'
                          : choice.ok
                            ? choice.backend === 'transformers'
                              ? `${DTYPE_LABELS[choice.dtype]} · ${choice.device === 'webgpu' ? 'WebGPU' : 'WASM'}`
                              : 'web-llm'
                            : 'cannot run here'}
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
            <p className="muted">
              Choose a model to see its licence, openness, size and whether it runs here.
            </p>
          )}
        </aside>
      </div>
    </dialog>
  );
}

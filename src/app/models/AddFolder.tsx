import { useId, useState, type DragEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format.ts';
import { describeError } from '../../i18n/errors.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import type { OnnxDtype } from '../../models/estimates.ts';
import {
  announceModelsChanged,
  filesFromDrop,
  filesFromInput,
  importFolder,
  inspectFolder,
  type LocalFile,
} from '../../models/local-import.ts';
import { dtypeLabel } from './model-text.ts';
import { modelStore } from './use-models.ts';

/** Kept as facts, worded when shown: the language may change while the message is on screen. */
type ImportState =
  | { kind: 'idle' }
  | { kind: 'working'; name: string; done: number; total: number }
  | { kind: 'done'; name: string; dtypes: OnnxDtype[]; bytes: number; label: string }
  | { kind: 'error'; error: unknown };

const NAME = <span translate="no" />;

/** Bring your own model: a transformers.js folder dropped or chosen, copied into the store. */
export function AddFolder({ onAdded }: { onAdded: (entry: CatalogEntry) => void }) {
  const { t } = useTranslation('models');
  const [importing, setImporting] = useState<ImportState>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const inputId = useId();

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
      onAdded(entry);
      setImporting({
        kind: 'done',
        name: inspection.name,
        dtypes: inspection.dtypes,
        bytes: inspection.bytes,
        label: entry.label,
      });
    } catch (error) {
      setImporting({ kind: 'error', error });
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const data = event.dataTransfer;
    void add(() => filesFromDrop(data));
  };

  return (
    <section aria-labelledby="add-title">
      <h3 id="add-title">{t('add.title')}</h3>
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
          <Trans
            t={t}
            i18nKey="add.drop"
            components={{ choose: <label className="link" htmlFor={inputId} /> }}
          />
        </p>
        <input
          id={inputId}
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
        {importing.kind === 'working' && (
          <div role="status">
            <p>
              <Trans
                t={t}
                i18nKey="add.adding"
                values={{
                  name: importing.name,
                  done: formatBytes(importing.done),
                  total: formatBytes(importing.total),
                }}
                components={{ name: NAME }}
              />
            </p>
            <progress
              max={Math.max(1, importing.total)}
              value={importing.done}
              aria-label={t('add.progress')}
              aria-valuetext={t('progressText', {
                done: formatBytes(importing.done),
                total: formatBytes(importing.total),
              })}
            />
          </div>
        )}
        {importing.kind === 'done' && (
          <p role="status" data-testid="import-status">
            <Trans
              t={t}
              i18nKey="add.added"
              values={{
                name: importing.name,
                dtypes: importing.dtypes.map(dtypeLabel).join(', '),
                size: formatBytes(importing.bytes),
                label: importing.label,
              }}
              components={{ name: NAME, label: NAME }}
            />
          </p>
        )}
        {importing.kind === 'error' && (
          <p role="alert" className="error-text" data-testid="import-status">
            {describeError(importing.error)}
          </p>
        )}
      </div>
    </section>
  );
}

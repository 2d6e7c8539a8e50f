import { useTranslation } from 'react-i18next';
import { formatBytes, formatDate } from '../../i18n/format.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { LOCAL_HUB_URL, type StoredModel } from '../../models/store.ts';
import { dtypeLabel } from './model-text.ts';
import { PinnedCommit } from './PinnedCommit.tsx';

interface Props {
  model: StoredModel;
  entry: CatalogEntry | undefined;
  confirming: boolean;
  onSelect: (entry: CatalogEntry) => void;
  onAskDelete: () => void;
  onDelete: () => void;
  onKeep: () => void;
}

function host(url: string): string | null {
  if (url === LOCAL_HUB_URL) return null;
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** One model in the store: what it is, where it came from, its size, when it was last used, and Delete. */
export function StoredModelRow({
  model: m,
  entry,
  confirming,
  onSelect,
  onAskDelete,
  onDelete,
  onKeep,
}: Props) {
  const { t } = useTranslation('models');
  const name = entry?.label ?? m.repo;
  const from = host(m.hubUrl);
  const when = (time: number | null) => {
    if (!time) return t('stored.never');
    const sameDay = new Date(time).toDateString() === new Date().toDateString();
    return sameDay
      ? t('stored.today', { time: formatDate(time, { hour: '2-digit', minute: '2-digit' }) })
      : formatDate(time, { year: 'numeric', month: 'short', day: 'numeric' });
  };
  const freed = formatBytes(m.bytes + m.partialBytes);
  return (
    <li data-testid="stored-model" data-repo={m.repo}>
      <div className="stored-main">
        <button
          type="button"
          className="link stored-name"
          title={name}
          translate="no"
          onClick={() => entry && onSelect(entry)}
          disabled={!entry}
        >
          {name}
        </button>
        <span className="muted">
          {m.dtypes.map(dtypeLabel).join(', ') || t('stored.incomplete')} ·{' '}
          {from === null ? t('stored.fromDisk') : <span translate="no">{from}</span>}
          {m.revision !== 'main' && <span translate="no"> @ {m.revision.slice(0, 8)}</span>}
        </span>
        {m.source === 'hub' && <PinnedCommit model={m} />}
      </div>
      <div className="stored-meta">
        <span data-testid="stored-size" translate="no">
          {formatBytes(m.bytes)}
        </span>
        {m.partialBytes > 0 && (
          <span className="warn" data-testid="stored-partial">
            {t('stored.partial', { size: formatBytes(m.partialBytes) })}
          </span>
        )}
        <span className="muted">{t('stored.lastUsed', { when: when(m.lastUsed) })}</span>
      </div>
      <div className="stored-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="button danger small"
              onClick={onDelete}
              data-testid="confirm-delete"
              aria-label={t('stored.confirmDeleteNamed', { name, size: freed })}
              autoFocus
            >
              {t('stored.confirmDelete', { size: freed })}
            </button>
            <button
              type="button"
              className="button ghost small"
              onClick={onKeep}
              aria-label={t('stored.keepNamed', { name })}
            >
              {t('stored.keep')}
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button ghost small"
            onClick={onAskDelete}
            data-testid="delete-model"
            aria-label={t('stored.deleteNamed', { name })}
          >
            {t('stored.delete')}
          </button>
        )}
      </div>
    </li>
  );
}

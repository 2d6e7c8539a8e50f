import { useTranslation } from 'react-i18next';
import type { DownloadView } from '../hooks/use-petit.ts';
import { formatBytes, formatDuration, formatRate } from '../../i18n/format.ts';
import './download.css';

interface Props {
  download: DownloadView;
  onCancel: () => void;
}

export function DownloadProgress({ download, onCancel }: Props) {
  const { t } = useTranslation('chat');
  const { t: tm } = useTranslation('models');
  const { loaded, total, bytesPerSecond, stage, file, model } = download;
  const fraction = total > 0 ? Math.min(1, loaded / total) : 0;
  const remaining = bytesPerSecond > 0 && total > loaded ? (total - loaded) / bytesPerSecond : NaN;
  const compiling = stage === 'compile';
  const rate = formatRate(bytesPerSecond);
  return (
    // Only the stage is announced (downloading, then starting): the byte counts change many times a second.
    <section className="download" data-testid="download-progress">
      <div className="download-head">
        <strong aria-live="polite">
          {t(compiling ? 'download.starting' : 'download.downloading', { model })}
        </strong>
        <button type="button" className="button ghost" onClick={onCancel} data-testid="cancel-load">
          {t('download.cancel')}
        </button>
      </div>
      <progress
        max={1}
        value={compiling ? undefined : fraction}
        aria-label={compiling ? t('download.preparing') : t('download.progress')}
        // A screen reader reads the bytes, not only a percentage.
        aria-valuetext={
          !compiling && total > 0
            ? tm('progressText', { done: formatBytes(loaded), total: formatBytes(total) })
            : undefined
        }
      />
      <div className="download-meta">
        {compiling ? (
          <span>{t('download.preparingLong')}</span>
        ) : (
          <>
            <span data-testid="download-bytes">
              {total > 0 ? (
                t('download.bytesOf', { loaded: formatBytes(loaded), total: formatBytes(total) })
              ) : (
                <span translate="no">{formatBytes(loaded)}</span>
              )}
            </span>
            {rate && <span translate="no">{rate}</span>}
            {Number.isFinite(remaining) && (
              <span>{t('download.left', { time: formatDuration(remaining) })}</span>
            )}
            {file && (
              <span className="muted file" translate="no">
                {file}
              </span>
            )}
          </>
        )}
      </div>
    </section>
  );
}

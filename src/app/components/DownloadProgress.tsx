import type { DownloadView } from '../hooks/use-petit.ts';
import { formatBytes, formatDuration, formatRate } from '../../i18n/format.ts';
import './download.css';

interface Props {
  download: DownloadView;
  onCancel: () => void;
}

export function DownloadProgress({ download, onCancel }: Props) {
  const { loaded, total, bytesPerSecond, stage, file, model } = download;
  const fraction = total > 0 ? Math.min(1, loaded / total) : 0;
  const remaining = bytesPerSecond > 0 && total > loaded ? (total - loaded) / bytesPerSecond : NaN;
  const compiling = stage === 'compile';
  return (
    <section className="download" aria-live="polite" data-testid="download-progress">
      <div className="download-head">
        <strong>{compiling ? `Starting ${model}…` : `Downloading ${model}`}</strong>
        <button type="button" className="button ghost" onClick={onCancel} data-testid="cancel-load">
          Cancel
        </button>
      </div>
      <progress
        max={1}
        value={compiling ? undefined : fraction}
        aria-label={compiling ? 'Preparing the model' : 'Download progress'}
      />
      <div className="download-meta">
        {compiling ? (
          <span>Preparing the model for this device…</span>
        ) : (
          <>
            <span data-testid="download-bytes">
              {formatBytes(loaded)}
              {total > 0 ? ` of ${formatBytes(total)}` : ''}
            </span>
            <span>{formatRate(bytesPerSecond)}</span>
            {Number.isFinite(remaining) && <span>{formatDuration(remaining)} left</span>}
            {file && <span className="muted file">{file}</span>}
          </>
        )}
      </div>
    </section>
  );
}

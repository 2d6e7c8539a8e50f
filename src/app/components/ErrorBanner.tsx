import { useTranslation } from 'react-i18next';
import { describeError } from '../../i18n/errors.ts';
import type { ShownError } from '../hooks/use-petit.ts';
import './error-banner.css';

/**
 * The error in the user's language (a message per code), and under "Details" the library's own English message:
 * it names the exact file, size or server reply, which helps a report or a search.
 */
export function ErrorBanner({
  error,
  onDismiss,
}: {
  /** `error`: the PetitError itself when the app kept it (its details give the message its facts). */
  error: ShownError & { error?: unknown };
  onDismiss: () => void;
}) {
  const { t } = useTranslation('errors');
  const message = describeError(error.error ?? error);
  return (
    <div className="error-banner" role="alert" data-testid="error" data-code={error.code}>
      <div className="error-text-block">
        <p>{message}</p>
        {error.message && error.message !== message && (
          <details className="error-details">
            <summary>{t('banner.details')}</summary>
            <p translate="no" lang="en" data-testid="error-details">
              {error.message}
            </p>
          </details>
        )}
      </div>
      <button type="button" className="button ghost" onClick={onDismiss} aria-label={t('banner.dismiss')}>
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}

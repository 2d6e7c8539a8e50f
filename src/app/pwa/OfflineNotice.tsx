import { useTranslation } from 'react-i18next';
import { offlineReason, useOnline } from './use-online.ts';

/** Says the app is offline and what still works; shown where models are loaded. */
export function OfflineNotice() {
  const { t } = useTranslation();
  const online = useOnline();
  if (online) return null;
  return (
    <p className="warn offline-notice" role="status" data-testid="offline-notice">
      <strong>{t('offline.title')}</strong> {offlineReason()}
    </p>
  );
}

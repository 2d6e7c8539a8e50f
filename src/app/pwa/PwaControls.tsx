import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useOnline } from './use-online.ts';
import { useServiceWorker } from './use-service-worker.ts';
import './pwa.css';

/**
 * The app's PWA corner: the "Update available — Reload" prompt (a new version never replaces an open page on
 * its own) and a note once the app works offline. The offline notice and the Install button sit in the app
 * itself (OfflineNotice, InstallButton).
 */
export function PwaControls() {
  const { t } = useTranslation();
  const online = useOnline();
  const sw = useServiceWorker();

  useEffect(() => {
    document.documentElement.dataset.build = __PETIT_BUILD__;
    document.documentElement.dataset.online = String(online);
  }, [online]);

  const { offlineReady, dismissOfflineReady } = sw;
  useEffect(() => {
    if (!offlineReady) return;
    const timer = setTimeout(dismissOfflineReady, 6000);
    return () => clearTimeout(timer);
  }, [offlineReady, dismissOfflineReady]);

  return (
    <div className="pwa-dock" aria-live="polite">
      {sw.needRefresh && (
        <div className="pwa-toast" role="alert" data-testid="update-prompt">
          <span>{t('pwa.updateAvailable')}</span>
          <button type="button" className="button primary" onClick={sw.update} data-testid="update-reload">
            {t('pwa.reload')}
          </button>
          <button type="button" className="button ghost" onClick={sw.dismissUpdate}>
            {t('pwa.later')}
          </button>
        </div>
      )}
      {sw.offlineReady && (
        <div className="pwa-toast" role="status" data-testid="offline-ready">
          <span>{t('pwa.offlineReady')}</span>
        </div>
      )}
    </div>
  );
}

import { useSyncExternalStore } from 'react';
import { t } from '../../i18n/index.ts';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('online', onChange);
  window.addEventListener('offline', onChange);
  return () => {
    window.removeEventListener('online', onChange);
    window.removeEventListener('offline', onChange);
  };
}

/**
 * Whether the browser has a network connection. Offline, what needs the network (downloading a model that is
 * not stored yet, remote models) must be disabled with a reason; stored models keep working.
 */
export function useOnline(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => navigator.onLine,
    () => true,
  );
}

/** What offline means for the user, shown where models are loaded (worded when shown: the language may change). */
export function offlineReason(): string {
  return t('common:offline.reason');
}

/** Why a remote model cannot be asked now (a model server on this computer still can). */
export function remoteOfflineReason(host: string | null): string {
  return host ? t('common:offline.remote', { host }) : t('common:offline.remoteUnnamed');
}

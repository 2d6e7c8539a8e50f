import { useCallback, useEffect, useState } from 'react';
import {
  applyUpdate,
  registerServiceWorker,
  unsubscribeServiceWorker,
  type ServiceWorkerCallbacks,
} from './register.ts';

/** The service worker's state for the UI: a new version waiting, the app ready offline, and the switch. */
export function useServiceWorker() {
  const [needRefresh, setNeedRefresh] = useState(false);
  const [offlineReady, setOfflineReady] = useState(false);
  useEffect(() => {
    const callbacks: ServiceWorkerCallbacks = {
      onNeedRefresh: () => setNeedRefresh(true),
      onOfflineReady: () => setOfflineReady(true),
    };
    registerServiceWorker(callbacks);
    return () => unsubscribeServiceWorker(callbacks);
  }, []);
  return {
    needRefresh,
    offlineReady,
    update: useCallback(() => void applyUpdate(), []),
    dismissUpdate: useCallback(() => setNeedRefresh(false), []),
    dismissOfflineReady: useCallback(() => setOfflineReady(false), []),
  };
}

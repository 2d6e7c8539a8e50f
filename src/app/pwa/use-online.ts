import { useSyncExternalStore } from 'react';

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

/** What offline means for the user, shown where models are loaded. */
export const OFFLINE_REASON =
  'You are offline. Models already downloaded still work; downloading a new one and asking a remote model need a connection.';

/** Why a remote model cannot be asked now (a model server on this computer still can). */
export function remoteOfflineReason(host: string | null): string {
  return `You are offline: ${host ?? 'the remote model'} cannot be reached. Nothing was sent; the answer from this device is kept.`;
}

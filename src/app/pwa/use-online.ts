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

/** The reason to show on controls that need the network, or null when online. */
export const OFFLINE_REASON =
  'You are offline. Models already downloaded still work; downloading a new one needs a connection.';

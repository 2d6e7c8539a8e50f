import { OFFLINE_REASON, useOnline } from './use-online.ts';

/** Says the app is offline and what still works; shown where models are loaded. */
export function OfflineNotice() {
  const online = useOnline();
  if (online) return null;
  return (
    <p className="warn offline-notice" role="status" data-testid="offline-notice">
      <strong>Offline.</strong> {OFFLINE_REASON}
    </p>
  );
}

import { registerSW } from 'virtual:pwa-register';

export interface ServiceWorkerCallbacks {
  /** A new version is installed and waiting: ask the user before switching. */
  onNeedRefresh?: () => void;
  /** The app shell and runtime are cached: the app now works offline. */
  onOfflineReady?: () => void;
}

const HOUR = 60 * 60 * 1000;
let reloading = false;
function reloadOnce(): void {
  if (reloading) return;
  reloading = true;
  window.location.reload();
}
let updater: ((reload?: boolean) => Promise<void>) | null = null;
const listeners = new Set<ServiceWorkerCallbacks>();

/**
 * Registers Petit's service worker once per page (safe to call from several components) and checks for a
 * new version every hour and whenever the page becomes visible again.
 */
export function registerServiceWorker(callbacks: ServiceWorkerCallbacks = {}): void {
  listeners.add(callbacks);
  if (!updater && 'serviceWorker' in navigator && import.meta.env.PROD) {
    updater = registerSW({
      immediate: true,
      onNeedRefresh: () => listeners.forEach((l) => l.onNeedRefresh?.()),
      onOfflineReady: () => listeners.forEach((l) => l.onOfflineReady?.()),
      onNeedReload: reloadOnce,
      onRegisteredSW: (_url, registration) => {
        if (!registration) return;
        const check = () => void registration.update().catch(() => {});
        setInterval(check, HOUR);
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'visible') check();
        });
      },
      onRegisterError: (error: unknown) =>
        console.warn('Petit: the offline service worker did not register.', error),
    });
  }
}

/** Lets the waiting version take over; the page reloads into it once it controls the page. */
export async function applyUpdate(): Promise<void> {
  // workbox-window reloads only when the page was controlled at registration; a page opened on the first
  // visit (uncontrolled then) must reload itself when the new version takes over.
  navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true });
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration?.waiting) return reloadOnce(); // Another tab already switched versions.
  await updater?.(true);
}

export function unsubscribeServiceWorker(callbacks: ServiceWorkerCallbacks): void {
  listeners.delete(callbacks);
}

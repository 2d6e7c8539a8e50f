import { useEffect, useState } from 'react';

/** Chromium's `beforeinstallprompt` event (not in TypeScript's DOM types). */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

let early: BeforeInstallPromptEvent | null = null;

/**
 * Keeps a prompt the browser offers before React listens: main.tsx calls it first thing, since the first render
 * waits for the settings to be read from IndexedDB.
 */
export function captureInstallPrompt(): void {
  window.addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault();
    early = e as BeforeInstallPromptEvent;
  });
  window.addEventListener('appinstalled', () => (early = null));
}

/**
 * Offers installing the app where the browser allows it: returns `install` while an install prompt is
 * available, null otherwise (not supported, already installed, or already used).
 */
export function useInstallPrompt(): (() => Promise<void>) | null {
  const [event, setEvent] = useState<BeforeInstallPromptEvent | null>(() => early);
  useEffect(() => {
    const onPrompt = (e: Event) => {
      e.preventDefault(); // Keep it for our own button instead of the browser's mini-infobar.
      setEvent(e as BeforeInstallPromptEvent);
    };
    const onInstalled = () => setEvent(null);
    window.addEventListener('beforeinstallprompt', onPrompt);
    window.addEventListener('appinstalled', onInstalled);
    return () => {
      window.removeEventListener('beforeinstallprompt', onPrompt);
      window.removeEventListener('appinstalled', onInstalled);
    };
  }, []);
  if (!event) return null;
  return async () => {
    await event.prompt();
    await event.userChoice;
    early = null;
    setEvent(null); // A prompt can be shown once.
  };
}

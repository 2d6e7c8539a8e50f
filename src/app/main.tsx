import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PetitEngine } from 'petit';
import { App } from './App.tsx';
import { hydratePreferences } from './persisted.ts';
import { loadSettings } from './settings.ts';
import { initI18n, resolveLanguage } from '../i18n/index.ts';
import { captureInstallPrompt } from './pwa/use-install-prompt.ts';
import { PwaControls } from './pwa/PwaControls.tsx';
import './styles.css';

const engine = new PetitEngine();
// Exposed for automation and for developers poking at the engine from the console.
(window as unknown as { petit: PetitEngine }).petit = engine;

captureInstallPrompt();
// Settings are read synchronously while rendering: they come from IndexedDB first (a few milliseconds).
await hydratePreferences();
await initI18n(resolveLanguage(loadSettings().language));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App engine={engine} />
    <PwaControls />
  </StrictMode>,
);

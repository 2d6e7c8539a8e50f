import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PetitEngine } from 'petit';
import { parseWidgetOrigins } from '../../widget/origins.ts';
import { parseWidgetProvider } from '../../widget/widget-provider.ts';
import { registerServiceWorker } from '../pwa/register.ts';
import { hydratePreferences } from '../persisted.ts';
import { loadSettings } from '../settings.ts';
import { initI18n, isLanguage, resolveLanguage } from '../../i18n/index.ts';
import { EmbedBridge } from './bridge.ts';
import { EmbedApp } from './EmbedApp.tsx';
import '../styles.css';
import './embed.css';

// Listening starts before React mounts: the widget says hello as soon as the iframe has loaded.
const bridge = new EmbedBridge(parseWidgetOrigins(import.meta.env.VITE_PETIT_WIDGET_ORIGINS));
bridge.start();

// A bad value is the deployer's mistake: say so, and answer on the device.
const widgetProvider = parseWidgetProvider(import.meta.env.VITE_PETIT_WIDGET_PROVIDER);
if (widgetProvider.problem) console.warn(`Petit embed: ${widgetProvider.problem}`);

// The user's settings come from IndexedDB, as in the app (persisted.ts).
await hydratePreferences();
const settings = loadSettings();
// The host page's `lang` attribute wins; otherwise the user's choice in the app, then the browser's languages.
const hostLanguage = new URLSearchParams(location.search).get('lang')?.toLowerCase().split('-')[0];
await initI18n(isLanguage(hostLanguage) ? hostLanguage : resolveLanguage(settings.language));
const engine = new PetitEngine({ hubUrl: settings.hubUrl });
registerServiceWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <EmbedApp
      engine={engine}
      bridge={bridge}
      params={new URLSearchParams(location.search)}
      hubUrl={settings.hubUrl}
      temperature={settings.temperature}
      maxTokens={settings.maxTokens}
      provider={widgetProvider.provider}
    />
  </StrictMode>,
);

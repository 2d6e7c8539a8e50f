import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PetitEngine } from 'petit';
import { parseWidgetOrigins } from '../../widget/origins.ts';
import { parseWidgetProvider } from '../../widget/widget-provider.ts';
import { registerServiceWorker } from '../pwa/register.ts';
import { hydratePreferences } from '../persisted.ts';
import { loadSettings } from '../settings.ts';
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

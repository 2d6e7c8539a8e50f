import type { ChoicePreferences } from '../models/chooser.ts';
import { savePreference, storedPreference } from './persisted.ts';
import { isLanguage, t, type LanguageChoice } from '../i18n/index.ts';
import { DEFAULT_HUB_URL, type BackendName, type BackendPreference, type Device } from '../engine/types.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';

/** The user's override of the runtime the chooser picks (Settings → Runtime); labels: runtimeLabel. */
export const RUNTIME_CHOICES = {
  auto: {
    backend: 'auto',
    device: 'auto',
    backends: ['webllm', 'transformers'],
  },
  webllm: { backend: 'webllm', device: 'webgpu', backends: ['webllm'] },
  'transformers-webgpu': {
    backend: 'transformers',
    device: 'webgpu',
    backends: ['transformers'],
  },
  wasm: {
    backend: 'transformers',
    device: 'wasm',
    backends: ['transformers'],
  },
} as const satisfies Record<
  string,
  { backend: BackendPreference; device: Device | 'auto'; backends: readonly BackendName[] }
>;
export type RuntimeChoice = keyof typeof RUNTIME_CHOICES;

/** A runtime choice as Settings shows it, in the current language. */
export function runtimeLabel(choice: RuntimeChoice): string {
  return t(`settings:runtime.choices.${choice}`);
}

/** What the chooser may pick under a runtime override (the picker and the model cards use the same). */
export function chooserPrefs(runtime: RuntimeChoice): ChoicePreferences {
  const rt = RUNTIME_CHOICES[runtime];
  return { backends: rt.backends, ...(rt.device !== 'auto' ? { device: rt.device } : {}) };
}

export interface AppSettings {
  hubUrl: string;
  theme: ThemeChoice;
  modelId: string | null;
  /** 0 gives the same answer every time; higher is more varied. */
  temperature: number;
  /** Longest answer in tokens. */
  maxTokens: number;
  runtime: RuntimeChoice;
  /** 'auto' follows the browser's languages (src/i18n). */
  language: LanguageChoice;
}

export const DEFAULT_SETTINGS: AppSettings = {
  hubUrl: import.meta.env.VITE_PETIT_HUB_URL || DEFAULT_HUB_URL,
  theme: 'system',
  modelId: null,
  temperature: 0.7,
  maxTokens: 1024,
  runtime: 'auto',
  language: 'auto',
};

/** The saved settings (src/app/persisted.ts), each checked: a value of the wrong kind reads as its default. */
export function loadSettings(): AppSettings {
  const stored = storedPreference('app-settings');
  const saved = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    const value = saved[key];
    const fits =
      fallback === null
        ? value === null || typeof value === 'string'
        : typeof fallback === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : typeof value === typeof fallback;
    if (fits) settings[key] = value;
  }
  if (!(String(settings.runtime) in RUNTIME_CHOICES)) settings.runtime = 'auto';
  if (settings.language !== 'auto' && !isLanguage(settings.language)) settings.language = 'auto';
  return settings as unknown as AppSettings;
}

export function saveSettings(settings: AppSettings): void {
  savePreference('app-settings', settings);
}

/** Returns an error message (in the current language) for a hub address a user typed, or null when usable. */
export function checkHubUrl(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return t('settings:hub.badScheme');
    return null;
  } catch {
    return t('settings:hub.notUrl');
  }
}

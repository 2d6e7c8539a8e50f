import type { ChoicePreferences } from '../models/chooser.ts';
import { DEFAULT_HUB_URL, type BackendName, type BackendPreference, type Device } from '../engine/types.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';

/** The user's override of the runtime the chooser picks (Settings → Runtime). */
export const RUNTIME_CHOICES = {
  auto: {
    label: 'Automatic (fastest that works here)',
    backend: 'auto',
    device: 'auto',
    backends: ['webllm', 'transformers'],
  },
  webllm: { label: 'web-llm (MLC, WebGPU)', backend: 'webllm', device: 'webgpu', backends: ['webllm'] },
  'transformers-webgpu': {
    label: 'transformers.js on WebGPU',
    backend: 'transformers',
    device: 'webgpu',
    backends: ['transformers'],
  },
  wasm: {
    label: 'transformers.js on WASM (CPU)',
    backend: 'transformers',
    device: 'wasm',
    backends: ['transformers'],
  },
} as const satisfies Record<
  string,
  { label: string; backend: BackendPreference; device: Device | 'auto'; backends: readonly BackendName[] }
>;
export type RuntimeChoice = keyof typeof RUNTIME_CHOICES;

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
}

const KEY = 'petit.settings.v1';

export const DEFAULT_SETTINGS: AppSettings = {
  hubUrl: import.meta.env.VITE_PETIT_HUB_URL || DEFAULT_HUB_URL,
  theme: 'system',
  modelId: null,
  temperature: 0.7,
  maxTokens: 1024,
  runtime: 'auto',
};

export function loadSettings(): AppSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<AppSettings>;
    const runtime = saved.runtime && saved.runtime in RUNTIME_CHOICES ? saved.runtime : 'auto';
    return { ...DEFAULT_SETTINGS, ...saved, runtime };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(settings: AppSettings): void {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

/** Returns an error message for a hub address a user typed, or null when it is usable. */
export function checkHubUrl(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return 'The hub address must start with https:// or http://.';
    return null;
  } catch {
    return 'This is not a web address. Example: https://huggingface.co';
  }
}

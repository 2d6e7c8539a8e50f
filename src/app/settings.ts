import { DEFAULT_HUB_URL } from '../engine/types.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface AppSettings {
  hubUrl: string;
  theme: ThemeChoice;
  modelId: string | null;
  /** 0 gives the same answer every time; higher is more varied. */
  temperature: number;
  /** Longest answer in tokens. */
  maxTokens: number;
}

const KEY = 'petit.settings.v1';

export const DEFAULT_SETTINGS: AppSettings = {
  hubUrl: import.meta.env.VITE_PETIT_HUB_URL || DEFAULT_HUB_URL,
  theme: 'system',
  modelId: null,
  temperature: 0.7,
  maxTokens: 1024,
};

export function loadSettings(): AppSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<AppSettings>;
    return { ...DEFAULT_SETTINGS, ...saved };
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

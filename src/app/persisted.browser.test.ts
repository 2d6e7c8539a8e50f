/**
 * Moving an existing user's preferences from localStorage into IndexedDB, in real Chromium: a profile with data in
 * the old places (as Petit up to December 2026 wrote it) finds all of it after the update, once, and what the
 * user changes afterwards survives a reload.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../storage/schema.ts';
import { LEGACY_KEYS } from '../storage/preferences.ts';
import { freshName } from '../storage/fresh-storage.test-helper.ts';
import type { LedgerEntry } from '../escalation/index.ts';
import {
  loadEscalationConfig,
  loadSavings,
  saveEscalationConfig,
  saveSavings,
} from './escalation/escalation-config.ts';
import { hydratePreferences } from './persisted.ts';
import { loadSettings, saveSettings, type AppSettings } from './settings.ts';

/** Saved before the language setting existed: it reads as 'auto' (follow the browser). */
const OLD_SETTINGS: Omit<AppSettings, 'language'> = {
  hubUrl: 'https://mirror.example.org',
  theme: 'dark',
  modelId: 'HuggingFaceTB/SmolLM2-360M-Instruct',
  temperature: 0.2,
  maxTokens: 300,
  runtime: 'wasm',
};
const OLD_ESCALATION = {
  mode: 'ask',
  provider: { presetId: 'openai', model: 'gpt-5-mini', baseUrl: 'https://proxy.example.org/v1' },
  redact: false,
  consent: { auto: ['openai@proxy.example.org'], conversations: { c1: ['openai@proxy.example.org'] } },
};
const ledger = (n: number, from = 0): LedgerEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    tokensIn: 40 + i,
    tokensOut: 100 + i,
    source: i % 7 === 0 ? 'remote' : 'on-device',
    model: i % 7 === 0 ? 'gpt-5-mini' : 'smollm2-135m',
    at: 1_790_000_000_000 + (from + i) * 1000,
  }));

function seedOldProfile(entries: LedgerEntry[]): void {
  localStorage.setItem(LEGACY_KEYS['app-settings'], JSON.stringify(OLD_SETTINGS));
  localStorage.setItem(LEGACY_KEYS.escalation, JSON.stringify(OLD_ESCALATION));
  localStorage.setItem(LEGACY_KEYS.ledger, JSON.stringify(entries));
}

async function ledgerRecords(name: string): Promise<number> {
  const db = await openDatabase({ name });
  const count = await db.count('ledger');
  db.close();
  return count;
}

afterEach(() => {
  for (const key of Object.values(LEGACY_KEYS)) localStorage.removeItem(key);
});

describe('preferences move from localStorage into IndexedDB', () => {
  test('a profile with data in the old places finds all of it in the new database, and the old keys are gone', async () => {
    const name = freshName();
    const old = ledger(5000);
    seedOldProfile(old);
    const result = await hydratePreferences({ name });
    expect(result).toEqual({
      migrated: true,
      keys: ['app-settings', 'escalation', 'ledger'],
      ledgerEntries: 5000,
    });
    expect(loadSettings()).toEqual({ ...OLD_SETTINGS, language: 'auto' });
    expect(loadEscalationConfig()).toEqual(OLD_ESCALATION);
    expect(loadSavings()).toEqual(old);
    for (const key of Object.values(LEGACY_KEYS)) expect(localStorage.getItem(key)).toBeNull();

    // A reload reads the same from the database alone.
    expect(await hydratePreferences({ name })).toMatchObject({ migrated: false });
    expect(loadSettings()).toEqual({ ...OLD_SETTINGS, language: 'auto' });
    expect(loadSavings()).toHaveLength(5000);
  });

  test('happens once: old data left in localStorage later never overwrites newer choices or doubles the ledger', async () => {
    const name = freshName();
    seedOldProfile(ledger(3));
    await hydratePreferences({ name });
    saveSettings({ ...loadSettings(), temperature: 0.9 });
    seedOldProfile(ledger(3));
    await hydratePreferences({ name });
    expect(loadSettings().temperature).toBe(0.9);
    expect(loadSavings()).toHaveLength(3);
  });

  test('two tabs opening at the same time copy the ledger once', async () => {
    const name = freshName();
    seedOldProfile(ledger(50));
    const [a, b] = await Promise.all([hydratePreferences({ name }), hydratePreferences({ name })]);
    expect([a?.migrated, b?.migrated].sort()).toEqual([false, true]);
    expect(await ledgerRecords(name)).toBe(50);
  });

  test('an answer appends one record; the ledger keeps its 5,000 most recent; changes survive a reload', async () => {
    const name = freshName();
    await hydratePreferences({ name });
    saveSavings(ledger(4999));
    saveSavings([...loadSavings(), ...ledger(1, 4999)]);
    const full = loadSavings();
    saveSavings([...full, ...ledger(2, 5000)]);
    saveEscalationConfig({ ...loadEscalationConfig(), mode: 'local-only' });
    await hydratePreferences({ name });
    const kept = loadSavings();
    expect(kept).toHaveLength(5000);
    expect(kept[0]).toEqual(full[2]);
    expect(kept.at(-1)).toEqual(ledger(2, 5000)[1]);
    expect(loadEscalationConfig().mode).toBe('local-only');
    expect(await ledgerRecords(name)).toBe(5000);
  });

  test('a stored value of the wrong kind reads as its default; nothing else is lost', async () => {
    const name = freshName();
    localStorage.setItem(
      LEGACY_KEYS['app-settings'],
      JSON.stringify({ ...OLD_SETTINGS, maxTokens: 'many', runtime: 'gpu9000' }),
    );
    await hydratePreferences({ name });
    expect(loadSettings()).toEqual({
      ...OLD_SETTINGS,
      maxTokens: 1024,
      runtime: 'auto',
      language: 'auto',
    });
  });
});

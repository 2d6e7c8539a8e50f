/**
 * The escalation choices the app keeps (src/app/persisted.ts): mode, provider (never its key: keys live only in
 * IndexedDB secrets), redaction, standing consents and the savings ledger. Separate from the app settings so a
 * settings reset never touches consents.
 */
import {
  DEFAULT_ESCALATION_MODE,
  isEscalationMode,
  isProviderId,
  type ConsentSnapshot,
  type EscalationMode,
  type LedgerEntry,
  type ProviderId,
} from '../../escalation/index.ts';
import { saveLedger, savePreference, storedLedger, storedPreference } from '../persisted.ts';

export interface ProviderConfig {
  presetId: ProviderId;
  model: string;
  /** Overrides the preset's base URL (a proxy or any OpenAI-compatible server). */
  baseUrl?: string;
  /** Azure `resource` and `deployment`, Bedrock `region` (Settings → Remote model). */
  urlParams?: Record<string, string>;
  /** Azure `api-version`; empty means the preset's. */
  apiVersion?: string;
  /** Time allowed for headers and between streamed chunks (default 60 s); not in the UI. */
  timeoutMs?: number;
  /** The provider's own model list, when fetched ("Get the provider's models"); replaces the preset's. */
  models?: { ids: string[]; checkedOn: string; shutdown?: Record<string, string> };
}

export interface EscalationConfig {
  mode: EscalationMode;
  /** null until the user picks a provider: nothing can be sent before. */
  provider: ProviderConfig | null;
  redact: boolean;
  consent: ConsentSnapshot;
}

/** The ledger keeps the most recent answers only; the totals are for the chart, not accounting. */
const MAX_ENTRIES = 5000;

export const DEFAULT_ESCALATION_CONFIG: EscalationConfig = {
  mode: DEFAULT_ESCALATION_MODE,
  provider: null,
  redact: true,
  consent: { auto: [], conversations: {} },
};

export function loadEscalationConfig(): EscalationConfig {
  try {
    const saved = (storedPreference('escalation') ?? {}) as Partial<EscalationConfig>;
    return {
      mode: isEscalationMode(saved.mode) ? saved.mode : DEFAULT_ESCALATION_MODE,
      provider:
        saved.provider && isProviderId(saved.provider.presetId) && typeof saved.provider.model === 'string'
          ? saved.provider
          : null,
      redact: saved.redact !== false,
      consent: {
        auto: Array.isArray(saved.consent?.auto) ? saved.consent.auto : [],
        conversations: saved.consent?.conversations ?? {},
      },
    };
  } catch {
    return { ...DEFAULT_ESCALATION_CONFIG };
  }
}

export function saveEscalationConfig(config: EscalationConfig): void {
  savePreference('escalation', config);
}

export function loadSavings(): LedgerEntry[] {
  // A copy: the app extends it, and saveLedger() tells what is new by the entries it already saved.
  return [...(storedLedger() as LedgerEntry[])];
}

export function saveSavings(entries: readonly LedgerEntry[]): void {
  saveLedger(entries, MAX_ENTRIES);
}

/** The secrets-store name of a provider's key: per provider and host, so a key goes only where it was typed for. */
export function keyName(presetId: ProviderId, host: string): string {
  return `provider:${presetId}@${host}`;
}

/**
 * The savings meter: a ledger of answers ({tokensIn, tokensOut, source, model, at}), the money not spent by
 * answering on the device (at the chosen remote model's price), an energy estimate as a range, and a per-day
 * bucketing for a small chart.
 *
 * Energy of a large hosted model, per 1,000 tokens, as a range (low–high):
 *  - output tokens 0.5–4 Wh. Low end: Epoch AI, "How much energy does ChatGPT use?" (2025): ~0.3 Wh for a typical
 *    GPT-4o query of ~500 output tokens (≈0.6 Wh/1k), and Google, "Measuring the environmental impact of AI
 *    inference" (Aug 2025): median Gemini Apps text prompt 0.24 Wh. Middle: Samsi et al., "From Words to Watts"
 *    (2023, arXiv:2310.03003): LLaMA-65B ~3–4 J per output token on A100/V100 (≈0.8–1.1 Wh/1k). High end: de Vries
 *    (Joule, 2023): ~3 Wh per ChatGPT request (≈4 Wh/1k at ~750 tokens), since revised down by the above.
 *  - input tokens 0.02–0.25 Wh: Epoch AI (2025) estimates ~2.5 Wh for a 10k-token input (≈0.25 Wh/1k) as an
 *    upper figure; prefill is roughly ten times cheaper per token than decoding on the same hardware.
 * Local answers: the device's own draw while generating, 5–30 W (a phone to a laptop under load; an estimate,
 * not measured here) times the generation time reported in the answer's usage.
 * These are orders of magnitude, not measurements: the UI must show them as a range with these sources.
 */
import type { ChatCompletion, InferenceSource } from '../engine/protocol.ts';
import { costUsd, type ModelPrice } from './pricing.ts';

export interface LedgerEntry {
  tokensIn: number;
  tokensOut: number;
  source: InferenceSource;
  model: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** Generation time, when known (from usage.extra.total_ms), for the local energy estimate. */
  durationMs?: number;
}

export interface Range {
  low: number;
  high: number;
}

export const REMOTE_WH_PER_1K_OUTPUT: Range = { low: 0.5, high: 4 };
export const REMOTE_WH_PER_1K_INPUT: Range = { low: 0.02, high: 0.25 };
export const LOCAL_DEVICE_WATTS: Range = { low: 5, high: 30 };
/** When a local answer's duration is unknown: this many output tokens per second on the device. */
export const LOCAL_FALLBACK_TOKENS_PER_S = 20;

export const ENERGY_SOURCES = [
  'Epoch AI, "How much energy does ChatGPT use?" (2025): ~0.3 Wh per typical GPT-4o query.',
  'Google, "Measuring the environmental impact of AI inference" (2025): 0.24 Wh per median Gemini Apps text prompt.',
  'Samsi et al., "From Words to Watts" (2023, arXiv:2310.03003): ~3–4 J per output token for LLaMA-65B.',
  'de Vries, "The growing energy footprint of artificial intelligence" (Joule, 2023): ~3 Wh per ChatGPT request.',
] as const;

/** The ledger entry for an answer, from its usage and label. */
export function entryFromCompletion(
  completion: Pick<ChatCompletion, 'usage' | 'model' | 'inference_source'>,
  at = Date.now(),
): LedgerEntry {
  return {
    tokensIn: completion.usage.prompt_tokens,
    tokensOut: completion.usage.completion_tokens,
    source: completion.inference_source,
    model: completion.model,
    at,
    durationMs: completion.usage.extra.total_ms,
  };
}

export function remoteEnergyWh(tokensIn: number, tokensOut: number): Range {
  return {
    low: (tokensIn * REMOTE_WH_PER_1K_INPUT.low + tokensOut * REMOTE_WH_PER_1K_OUTPUT.low) / 1000,
    high: (tokensIn * REMOTE_WH_PER_1K_INPUT.high + tokensOut * REMOTE_WH_PER_1K_OUTPUT.high) / 1000,
  };
}

export function localEnergyWh(entry: Pick<LedgerEntry, 'tokensOut' | 'durationMs'>): Range {
  const seconds =
    entry.durationMs !== undefined ? entry.durationMs / 1000 : entry.tokensOut / LOCAL_FALLBACK_TOKENS_PER_S;
  return { low: (LOCAL_DEVICE_WATTS.low * seconds) / 3600, high: (LOCAL_DEVICE_WATTS.high * seconds) / 3600 };
}

export interface SavingsSummary {
  answers: { local: number; remote: number };
  tokens: { localIn: number; localOut: number; remoteIn: number; remoteOut: number };
  /** What the local answers would have cost at `price`. */
  moneySavedUsd: number;
  /** What the remote answers cost at `price` (their real price may differ if they went elsewhere). */
  moneySpentUsd: number;
  energy: {
    /** A large hosted model's energy for the answers given locally. */
    remoteAvoidedWh: Range;
    /** The device's energy for those local answers. */
    localUsedWh: Range;
    /** Avoided minus used: low = least favourable pairing (low avoided − high used), high = most favourable. */
    netSavedWh: Range;
  };
  priceModel: string;
}

/** Totals of the ledger at the chosen remote model's price. */
export function summarise(entries: readonly LedgerEntry[], price: ModelPrice): SavingsSummary {
  const s: SavingsSummary = {
    answers: { local: 0, remote: 0 },
    tokens: { localIn: 0, localOut: 0, remoteIn: 0, remoteOut: 0 },
    moneySavedUsd: 0,
    moneySpentUsd: 0,
    energy: {
      remoteAvoidedWh: { low: 0, high: 0 },
      localUsedWh: { low: 0, high: 0 },
      netSavedWh: { low: 0, high: 0 },
    },
    priceModel: `${price.providerId}/${price.model}`,
  };
  for (const e of entries) {
    if (e.source === 'on-device') {
      s.answers.local++;
      s.tokens.localIn += e.tokensIn;
      s.tokens.localOut += e.tokensOut;
      s.moneySavedUsd += costUsd(price, e.tokensIn, e.tokensOut);
      const avoided = remoteEnergyWh(e.tokensIn, e.tokensOut);
      const used = localEnergyWh(e);
      s.energy.remoteAvoidedWh.low += avoided.low;
      s.energy.remoteAvoidedWh.high += avoided.high;
      s.energy.localUsedWh.low += used.low;
      s.energy.localUsedWh.high += used.high;
    } else {
      s.answers.remote++;
      s.tokens.remoteIn += e.tokensIn;
      s.tokens.remoteOut += e.tokensOut;
      s.moneySpentUsd += costUsd(price, e.tokensIn, e.tokensOut);
    }
  }
  s.energy.netSavedWh = {
    low: s.energy.remoteAvoidedWh.low - s.energy.localUsedWh.high,
    high: s.energy.remoteAvoidedWh.high - s.energy.localUsedWh.low,
  };
  return s;
}

export interface DayBucket {
  /** YYYY-MM-DD in the given time zone offset. */
  day: string;
  localAnswers: number;
  remoteAnswers: number;
  localTokens: number;
  remoteTokens: number;
  savedUsd: number;
}

function dayOf(at: number, offsetMinutes: number): string {
  // `offsetMinutes` as Date#getTimezoneOffset returns it (minutes behind UTC; −60 for UTC+1).
  return new Date(at - offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/**
 * One bucket per day from the first to the last entry (empty days included, so a chart's x axis is even).
 * `timeZoneOffsetMinutes` defaults to the browser's current offset.
 */
export function bucketByDay(
  entries: readonly LedgerEntry[],
  price: ModelPrice,
  timeZoneOffsetMinutes = new Date().getTimezoneOffset(),
): DayBucket[] {
  if (entries.length === 0) return [];
  const map = new Map<string, DayBucket>();
  const times = entries.map((e) => e.at);
  const first = dayOf(Math.min(...times), timeZoneOffsetMinutes);
  const last = dayOf(Math.max(...times), timeZoneOffsetMinutes);
  for (let d = new Date(`${first}T00:00:00Z`); ; d = new Date(d.getTime() + 86_400_000)) {
    const day = d.toISOString().slice(0, 10);
    map.set(day, { day, localAnswers: 0, remoteAnswers: 0, localTokens: 0, remoteTokens: 0, savedUsd: 0 });
    if (day >= last) break;
  }
  for (const e of entries) {
    const b = map.get(dayOf(e.at, timeZoneOffsetMinutes));
    if (!b) continue;
    if (e.source === 'on-device') {
      b.localAnswers++;
      b.localTokens += e.tokensIn + e.tokensOut;
      b.savedUsd += costUsd(price, e.tokensIn, e.tokensOut);
    } else {
      b.remoteAnswers++;
      b.remoteTokens += e.tokensIn + e.tokensOut;
    }
  }
  return [...map.values()];
}

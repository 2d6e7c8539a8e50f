/**
 * A dated, editable price table (USD per million tokens) for the presets' popular models, and a token estimator.
 *
 * Date of the table: 2026-11-22. The providers' own pricing pages could not be opened from this machine; the
 * figures were read through a search index of public pages on that date. `source` names the page each figure came
 * from. `estimate: true` marks every figure that was not read on the provider's own page, or that sources disagree
 * on: treat those as rough and edit them in Settings (`mergePriceTable`). Prices change; the UI shows the date.
 */
import { PetitError } from '../engine/errors.ts';
import type { ChatMessage } from '../engine/protocol.ts';

export const PRICE_TABLE_DATE = '2026-11-22';

export interface ModelPrice {
  providerId: string;
  model: string;
  /** USD per million input (prompt) tokens. */
  inputPerMTok: number;
  /** USD per million output (completion) tokens. */
  outputPerMTok: number;
  /** Where the figure was read. */
  source: string;
  /** True when not read on the provider's own page, or when sources disagreed. */
  estimate: boolean;
}

const OPENAI_SRC =
  'developers.openai.com pricing, as quoted by tokenmath.io (checked 2026-06-21) and deploybase.ai (2026-03)';
const ANTHROPIC_SRC = 'docs.anthropic.com/en/docs/about-claude/pricing';
const GEMINI_SRC =
  'ai.google.dev/gemini-api/docs/pricing, as quoted by openrouter.ai blog and deploybase.ai (2026-03)';

export const DEFAULT_PRICE_TABLE: readonly ModelPrice[] = Object.freeze([
  {
    // OpenAI's named replacement for gpt-4o-mini (shut down 2027-01-14), as quoted by apidog.com and
    // codersera.com (read 2026-12-03); not read on OpenAI's own page.
    providerId: 'openai',
    model: 'gpt-6-luna',
    inputPerMTok: 0.1,
    outputPerMTok: 0.5,
    source: 'OpenAI pricing as quoted by apidog.com and codersera.com (read 2026-12-03)',
    estimate: true,
  },
  {
    providerId: 'openai',
    model: 'gpt-4o-mini',
    inputPerMTok: 0.15,
    outputPerMTok: 0.6,
    source: OPENAI_SRC,
    estimate: true,
  },
  {
    providerId: 'openai',
    model: 'gpt-4o',
    inputPerMTok: 2.5,
    outputPerMTok: 10,
    source: OPENAI_SRC,
    estimate: true,
  },
  {
    providerId: 'openai',
    model: 'gpt-4.1',
    inputPerMTok: 2,
    outputPerMTok: 8,
    source: OPENAI_SRC,
    estimate: true,
  },
  {
    providerId: 'openai',
    model: 'gpt-4.1-mini',
    inputPerMTok: 0.4,
    outputPerMTok: 1.6,
    source: OPENAI_SRC,
    estimate: true,
  },
  {
    providerId: 'azure-openai',
    model: 'gpt-4o-mini',
    inputPerMTok: 0.15,
    outputPerMTok: 0.6,
    source: `${OPENAI_SRC}; Azure's global deployments are assumed to match OpenAI`,
    estimate: true,
  },
  {
    providerId: 'azure-openai',
    model: 'gpt-4o',
    inputPerMTok: 2.5,
    outputPerMTok: 10,
    source: `${OPENAI_SRC}; Azure's global deployments are assumed to match OpenAI`,
    estimate: true,
  },
  {
    // The presets' defaults since 2026-12-03 (issue 19): Claude Sonnet 5.5's page on platform.claude.com.
    providerId: 'anthropic',
    model: 'claude-sonnet-5-5',
    inputPerMTok: 2,
    outputPerMTok: 10,
    source: 'platform.claude.com/docs/en/models/sonnet-5-5/overview (read 2026-12-03)',
    estimate: false,
  },
  {
    providerId: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    inputPerMTok: 3,
    outputPerMTok: 15,
    source: ANTHROPIC_SRC,
    estimate: false,
  },
  {
    providerId: 'anthropic',
    model: 'claude-3-5-haiku-latest',
    inputPerMTok: 0.8,
    outputPerMTok: 4,
    source: ANTHROPIC_SRC,
    estimate: false,
  },
  {
    providerId: 'anthropic',
    model: 'claude-opus-4-1-20250805',
    inputPerMTok: 15,
    outputPerMTok: 75,
    source: ANTHROPIC_SRC,
    estimate: false,
  },
  {
    providerId: 'mistral',
    model: 'mistral-large-latest',
    inputPerMTok: 2,
    outputPerMTok: 6,
    source: 'devtk.ai and deploybase.ai (2026); margindash.com lists Large 3 at 0.5/1.5 — sources disagree',
    estimate: true,
  },
  {
    providerId: 'mistral',
    model: 'mistral-small-latest',
    inputPerMTok: 0.1,
    outputPerMTok: 0.3,
    source: 'margindash.com, deploybase.ai (2026)',
    estimate: true,
  },
  {
    providerId: 'groq',
    model: 'llama-3.3-70b-versatile',
    inputPerMTok: 0.59,
    outputPerMTok: 0.79,
    source: 'theneuralbase.com quoting groq.com/pricing (2026-04)',
    estimate: true,
  },
  {
    providerId: 'openrouter',
    model: 'openai/gpt-4o-mini',
    inputPerMTok: 0.15,
    outputPerMTok: 0.6,
    source: 'OpenRouter passes the upstream price through; OpenAI figure above',
    estimate: true,
  },
  {
    providerId: 'openrouter',
    model: 'anthropic/claude-sonnet-4',
    inputPerMTok: 3,
    outputPerMTok: 15,
    source: `OpenRouter passes the upstream price through; ${ANTHROPIC_SRC}`,
    estimate: true,
  },
  {
    providerId: 'together',
    model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    inputPerMTok: 0.88,
    outputPerMTok: 0.88,
    source: 'not verified: together.ai/pricing could not be read; figure from memory of 2025 pricing',
    estimate: true,
  },
  {
    providerId: 'gemini',
    model: 'gemini-2.5-flash',
    inputPerMTok: 0.3,
    outputPerMTok: 2.5,
    source: GEMINI_SRC,
    estimate: true,
  },
  {
    providerId: 'gemini',
    model: 'gemini-2.5-pro',
    inputPerMTok: 1.25,
    outputPerMTok: 10,
    source: `${GEMINI_SRC}; prompts over 200k tokens cost more`,
    estimate: true,
  },
  {
    providerId: 'cohere',
    model: 'command-a-03-2025',
    inputPerMTok: 2.5,
    outputPerMTok: 10,
    source: 'not verified: cohere.com/pricing could not be read; figure from memory of 2025 pricing',
    estimate: true,
  },
  {
    providerId: 'bedrock',
    model: 'openai.gpt-oss-120b-1:0',
    inputPerMTok: 0.15,
    outputPerMTok: 0.6,
    source: 'not verified: aws.amazon.com/bedrock/pricing could not be read',
    estimate: true,
  },
  {
    providerId: 'ollama',
    model: '*',
    inputPerMTok: 0,
    outputPerMTok: 0,
    source: 'runs on your own machine: no per-token price',
    estimate: false,
  },
  {
    providerId: 'lmstudio',
    model: '*',
    inputPerMTok: 0,
    outputPerMTok: 0,
    source: 'runs on your own machine: no per-token price',
    estimate: false,
  },
] satisfies ModelPrice[]);

/** The price for a provider's model: exact match first, then the provider's `*` entry; undefined when unknown. */
export function findPrice(
  table: readonly ModelPrice[],
  providerId: string,
  model: string,
): ModelPrice | undefined {
  return (
    table.find((p) => p.providerId === providerId && p.model === model) ??
    table.find((p) => p.providerId === providerId && p.model === '*')
  );
}

/** Cost in USD of a call at `price`. */
export function costUsd(
  price: Pick<ModelPrice, 'inputPerMTok' | 'outputPerMTok'>,
  tokensIn: number,
  tokensOut: number,
): number {
  return (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / 1_000_000;
}

/**
 * Applies the user's edits to a table: an edit with the same provider and model replaces the entry, others are
 * added. Edited entries are marked `source: 'edited by you'`. Bad numbers are refused with a typed error.
 */
export function mergePriceTable(
  base: readonly ModelPrice[],
  edits: ReadonlyArray<Pick<ModelPrice, 'providerId' | 'model' | 'inputPerMTok' | 'outputPerMTok'>>,
): ModelPrice[] {
  const out = base.map((p) => ({ ...p }));
  for (const edit of edits) {
    for (const key of ['inputPerMTok', 'outputPerMTok'] as const) {
      const v = edit[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new PetitError(
          'invalid-request',
          `The price for ${edit.providerId}/${edit.model} (${key}) must be a number of US dollars per million tokens, 0 or more.`,
          { details: { providerId: edit.providerId, model: edit.model, field: key } },
        );
      }
    }
    if (!edit.providerId || !edit.model) {
      throw new PetitError('invalid-request', 'A price needs a provider and a model name.');
    }
    const entry: ModelPrice = { ...edit, source: 'edited by you', estimate: false };
    const i = out.findIndex((p) => p.providerId === edit.providerId && p.model === edit.model);
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

// Scripts where one character is roughly one token or more in common BPE vocabularies.
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
const SEGMENT = /[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Estimated token count of `text` for a modern BPE tokenizer (Llama 3, Qwen2.5, GPT-4o): a word of up to 8
 * letters is one token, longer words split every ~5 characters, digits group by 3 (Llama 3, GPT-4o; Qwen splits
 * them one by one), each punctuation mark is one token, CJK characters about one each and other non-Latin letters about one per 2.5 characters.
 * Checked against the real Qwen2.5 tokenizer in pricing.test.ts.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(SEGMENT)) {
    const seg = match[0];
    if (/^\p{N}+$/u.test(seg)) tokens += Math.ceil(seg.length / 3);
    else if (/^[\p{L}\p{M}]+$/u.test(seg)) {
      let cjk = 0;
      let latin = 0;
      let other = 0;
      for (const ch of seg) {
        if (CJK.test(ch)) cjk++;
        else if (/[A-Za-z\u00C0-\u024F]/.test(ch)) latin++;
        else other++;
      }
      tokens += cjk + Math.ceil(other / 2.5);
      if (latin > 0) tokens += latin <= 8 ? 1 : Math.ceil(latin / 5);
    } else tokens += 1;
  }
  return tokens;
}

/** Estimated prompt tokens of a chat request, with the few tokens per message a chat template adds. */
export function estimateMessagesTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + 4 + estimateTokens(m.content), 3);
}

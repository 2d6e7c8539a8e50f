/**
 * The router: for one request, which downloaded model to use (the smallest likely good enough) and whether the
 * request is worth a large remote model.
 *
 * It is a logistic regression over the features in router-features.ts (structure, the kind of task as en/fr/es/de
 * phrase it, live data, high-stakes domains), with weights fitted by tools/router/train-router.ts on
 * router-dataset.json and shipped in router-weights.json. On top of the learned score: the local answer's
 * confidence (token log-probabilities), what the downloaded models can do (size, languages, strengths), and this
 * user's own corrections (router-user-weights.ts). Decisive rules (the user's button, nothing downloaded, a
 * conversation no local model can read) escalate whatever the score. Every term that moves the score is a reason
 * the UI can name.
 */
import type { ChatMessage } from '../engine/protocol.ts';
import { estimateMessagesTokens, estimateTokens } from './pricing.ts';
import {
  FEATURES,
  FEATURE_IDS,
  extractFeatures,
  featureContext,
  type FeatureDef,
  type FeatureId,
  type FeatureVector,
  type PromptLanguage,
} from './router-features.ts';
import trained from './router-weights.json';
import { reason, type MessageParams } from './reason-text.ts';
import { confidenceTerm } from './router-confidence.ts';

export { reason } from './reason-text.ts';
export { confidenceFromLogprobs, uncertainty } from './router-confidence.ts';

export const GOOD_FOR_TAGS = [
  'chat',
  'rewrite',
  'summarise',
  'classify',
  'extract',
  'code',
  'maths',
  'multilingual',
  'reasoning',
] as const;
export type GoodForTag = (typeof GOOD_FOR_TAGS)[number];

export interface LocalModelInfo {
  id: string;
  /** Parameter count, e.g. 135e6; 0 when unknown. */
  parameters: number;
  /** Context window in tokens. */
  contextLength: number;
  goodFor: readonly GoodForTag[];
  /** ISO 639-1 codes of the languages the model was trained to follow; absent when unknown. */
  languages?: readonly string[];
  /** A name for the UI, e.g. "Qwen2.5 1.5B Instruct". */
  label?: string;
}

/** Confidence of the local answer, from the backend's token log-probabilities (see confidenceFromLogprobs). */
export interface LocalConfidence {
  /** Mean natural-log probability of the generated tokens (0 = certain; −1 ≈ 37 %; −2.3 ≈ 10 %). */
  meanLogprob?: number;
  /** Mean entropy of the next-token distributions, in nats, when the backend reports it. */
  meanEntropy?: number;
  /** Mean log-probability of the first tokens of the answer, where a model that did not follow the prompt shows it. */
  openingLogprob?: number;
  /** Share of tokens the model gave less than 10 % probability. */
  unsureShare?: number;
  /** Tokens measured. */
  tokens?: number;
  /**
   * Mean log-probability the local model gave the prompt's own tokens: how familiar the request looks to it. The
   * strongest signal on stories260K (see tools/router/stories-confidence.test.ts); present only when the backend
   * reports prompt log-probabilities.
   */
  promptLogprob?: number;
}

/** This user's corrections, added to the shipped weights (see router-user-weights.ts). */
export interface UserRouterWeights {
  bias: number;
  weights: Partial<Record<FeatureId, number>>;
  /** How many times the user said "not good enough" / "this answer was fine". */
  corrections: { needsLarge: number; fine: number };
}

export interface RouteInput {
  messages: readonly ChatMessage[];
  localModels: readonly LocalModelInfo[];
  /** Present when a local answer exists and its confidence was measured. */
  confidence?: LocalConfidence;
  /** The user pressed "not good enough — ask the large model". */
  userAskedForRemote?: boolean;
  /** Tokens kept free for the answer when checking context windows. Default 512. */
  answerReserveTokens?: number;
  /** This user's learned adjustments. */
  userWeights?: UserRouterWeights;
}

/** Terms that are not text features: decisive rules and the terms added after the learned score. */
export const ROUTER_RULES = {
  'user-asked': { decisive: true },
  'no-local-model': { decisive: true },
  'context-overflow': { decisive: true },
  'low-confidence': { decisive: false },
  'confident-answer': { decisive: false },
  'capable-local-model': { decisive: false },
  'model-language': { decisive: false },
  /** Says why a model that speaks the conversation's language was picked over a smaller one; moves nothing. */
  'language-choice': { decisive: false },
  'user-learned': { decisive: false },
} as const;

export type RouterRuleId = keyof typeof ROUTER_RULES | FeatureId;

/** The learned score is a log-odds; 0 is a 50 % estimate that a large model is needed. */
export const ESCALATION_THRESHOLD = trained.threshold;

export interface RouterReason {
  rule: RouterRuleId;
  /** How much this term moved the score (log-odds); positive pushes towards the large model. */
  weight: number;
  /** The catalog message when the rule has several (escalation:reasons.<message>); the rule's own otherwise. */
  message?: string;
  /** The message's arguments, raw (formatted in the user's language when shown: see reason-text.ts). */
  params?: MessageParams;
  /** The sentence in English, for logs and tests; the UI words `rule`/`message`/`params` with reasonText. */
  explanation: string;
}

export interface RouteDecision {
  /** The smallest downloaded model likely good enough; null when none is downloaded. */
  localModelId: string | null;
  escalate: boolean;
  /** Log-odds that a large model is needed (the learned score plus confidence, model and user terms). */
  score: number;
  threshold: number;
  /** Every term that moved the score, largest effect first; decisive rules first of all. */
  reasons: RouterReason[];
  /** Estimated prompt tokens of the whole conversation. */
  promptTokens: number;
  /** The features of the last user message (for per-user learning). */
  features: FeatureVector;
  language: PromptLanguage;
}

/** The shipped weights, by feature. */
export const TRAINED_WEIGHTS: Readonly<Record<FeatureId, number>> = Object.fromEntries(
  FEATURE_IDS.map((id) => [id, (trained.weights as Record<string, number>)[id] ?? 0]),
) as Record<FeatureId, number>;
export const TRAINED_BIAS: number = trained.bias;

/** What a kind of request needs from a local model. */
const NEEDS: Partial<Record<FeatureId, GoodForTag>> = {
  'code-block': 'code',
  'error-trace': 'code',
  'code-question': 'code',
  'build-code': 'code',
  'maths-expression': 'maths',
  'maths-terms': 'maths',
  'word-problem': 'maths',
  proof: 'maths',
  'logic-puzzle': 'reasoning',
  analysis: 'reasoning',
  plan: 'reasoning',
  constraints: 'reasoning',
  'not-english': 'multilingual',
  'long-prompt': 'summarise',
};

export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return '';
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Picks the smallest model that fits the conversation and covers `needs` (and speaks `language`, when known);
 * see RouteDecision.localModelId.
 */
export function chooseLocalModel(
  models: readonly LocalModelInfo[],
  promptTokens: number,
  needs: ReadonlySet<GoodForTag>,
  language?: PromptLanguage,
): LocalModelInfo | null {
  if (models.length === 0) return null;
  const fitting = models.filter((m) => m.contextLength >= promptTokens);
  if (fitting.length === 0) return [...models].sort((a, b) => b.contextLength - a.contextLength)[0];
  const speaks = (m: LocalModelInfo) =>
    !language || language === 'en' || language === 'other' || !m.languages
      ? 0
      : m.languages.includes(language)
        ? 1
        : 0;
  const coverage = (m: LocalModelInfo) => [...needs].filter((t) => m.goodFor.includes(t)).length + speaks(m);
  return [...fitting].sort((a, b) => coverage(b) - coverage(a) || a.parameters - b.parameters)[0];
}

/** A model as reasons name it: its label, and its size when known (worded by the catalog). */
function modelParams(m: LocalModelInfo): { model: string; parameters: number } {
  return { model: m.label ?? m.id, parameters: m.parameters };
}

/** The languages the router names a model's choice by (those its features tell apart). */
const NAMED_LANGUAGES: readonly PromptLanguage[] = ['fr', 'es', 'de'];

/** A smaller model that fits but does not speak `language`: the one the language made the router pass over. */
function smallerWithoutLanguage(
  models: readonly LocalModelInfo[],
  chosen: LocalModelInfo,
  language: PromptLanguage,
  needed: number,
): LocalModelInfo | undefined {
  return models.find(
    (m) =>
      m !== chosen &&
      m.parameters < chosen.parameters &&
      m.contextLength >= needed &&
      m.languages !== undefined &&
      !m.languages.includes(language),
  );
}

export function route(input: RouteInput): RouteDecision {
  const reserve = input.answerReserveTokens ?? 512;
  const promptTokens = estimateMessagesTokens(input.messages);
  const raw = lastUserText(input.messages);
  const ctx = featureContext(raw, estimateTokens(raw));
  const features = extractFeatures(ctx);
  const decisive: RouterReason[] = [];
  const terms: RouterReason[] = [];

  if (input.userAskedForRemote) decisive.push(reason('user-asked', 0));
  const maxContext = Math.max(0, ...input.localModels.map((m) => m.contextLength));
  const models = input.localModels.length;
  if (models === 0) decisive.push(reason('no-local-model', 0));
  else if (promptTokens + reserve > maxContext)
    // Names what it counted: the conversation alone, or the conversation plus the room kept for the answer.
    decisive.push(
      promptTokens >= maxContext
        ? reason('context-overflow', 0, 'context-too-long', { tokens: promptTokens, max: maxContext, models })
        : reason('context-overflow', 0, undefined, {
            tokens: promptTokens,
            reserve,
            max: maxContext,
            models,
          }),
    );

  // The learned score.
  let score = TRAINED_BIAS;
  for (const id of FEATURE_IDS) {
    const x = features[id];
    if (x === 0) continue;
    const w = TRAINED_WEIGHTS[id] * x;
    score += w;
    if (Math.abs(w) >= 0.05) {
      const def: FeatureDef = FEATURES[id];
      terms.push(reason(id, round2(w), undefined, def.params?.(ctx)));
    }
  }

  // This user's corrections.
  const user = input.userWeights;
  if (user) {
    let u = user.bias;
    for (const id of FEATURE_IDS) u += (user.weights[id] ?? 0) * features[id];
    score += u;
    if (Math.abs(u) >= 0.05) {
      const { needsLarge, fine } = user.corrections;
      terms.push(
        u > 0
          ? reason('user-learned', round2(u), 'user-learned-large', { count: needsLarge })
          : reason('user-learned', round2(u), 'user-learned-fine', { count: fine }),
      );
    }
  }

  // What the downloaded models can do.
  const needs = new Set<GoodForTag>(
    FEATURE_IDS.filter((id) => features[id] > 0 && NEEDS[id] && TRAINED_WEIGHTS[id] > 0).map(
      (id) => NEEDS[id]!,
    ),
  );
  const chosen = chooseLocalModel(input.localModels, promptTokens + reserve, needs, ctx.language);
  if (
    chosen &&
    needs.size > 0 &&
    chosen.parameters >= 1.4e9 &&
    [...needs].every((t) => chosen.goodFor.includes(t))
  ) {
    const w = chosen.parameters >= 3e9 ? -1.5 : -1;
    score += w;
    terms.push(reason('capable-local-model', w, undefined, modelParams(chosen)));
  }
  if (chosen?.languages && NAMED_LANGUAGES.includes(ctx.language)) {
    // Speaking the language helps only a model large enough to use it well; not speaking it always hurts.
    const speaks = chosen.languages.includes(ctx.language);
    const w = speaks ? (chosen.parameters >= 1e9 ? -0.3 : 0) : 0.5;
    if (w !== 0) {
      score += w;
      terms.push(
        reason('model-language', w, speaks ? undefined : 'model-english-only', {
          ...modelParams(chosen),
          language: ctx.language,
        }),
      );
    }
    const passedOver = speaks
      ? smallerWithoutLanguage(input.localModels, chosen, ctx.language, promptTokens + reserve)
      : undefined;
    if (passedOver)
      terms.push(
        reason('language-choice', 0, undefined, {
          model: chosen.label ?? chosen.id,
          other: passedOver.label ?? passedOver.id,
          language: ctx.language,
        }),
      );
  }

  const conf = confidenceTerm(input.confidence);
  if (conf) {
    score += conf.weight;
    terms.push(conf);
  }

  terms.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  score = round2(score);
  return {
    localModelId: chosen?.id ?? null,
    escalate: decisive.length > 0 || score >= ESCALATION_THRESHOLD,
    score,
    threshold: ESCALATION_THRESHOLD,
    reasons: [...decisive, ...terms],
    promptTokens,
    features,
    language: ctx.language,
  };
}

/** The reasons to show for a decision: decisive rules, then the terms pushing the same way, largest first. */
export function explainDecision(d: RouteDecision, max = 3): RouterReason[] {
  const decisive = d.reasons.filter((r) => ROUTER_RULES[r.rule as keyof typeof ROUTER_RULES]?.decisive);
  if (decisive.length > 0) return decisive;
  const sign = d.escalate ? 1 : -1;
  return d.reasons.filter((r) => r.weight * sign > 0.2).slice(0, max);
}

/**
 * What the router looks at: a few dozen features that describe a request rather than its topic — its structure
 * (pasted code or an error, numbers and operators, a list of constraints, the length asked for), the kind of task
 * it asks for as English, French, Spanish and German phrase requests, requests for live data, and high-stakes
 * domains. Each feature is a number in [0, 1] and has a sentence (escalation:reasons.<id> in the catalogs) the UI shows
 * when it tips the decision.
 *
 * The cue lists are closed-class words (question words, function words) and the common verbs and nouns of a kind
 * of task in each of the four languages; the same feature fires for "prove", "démontrer", "demostrar" and
 * "beweisen". Nothing here names a particular prompt. Weights are learned elsewhere (tools/router/).
 */
import {
  ADVICE,
  ANALYSIS,
  ASKS,
  BUILD_VERBS,
  CODE_LINE,
  CONSTRAINT_WORDS,
  CREATIVE_FORM,
  DETAIL,
  FINANCE,
  GREETING,
  INGESTED,
  LEGAL,
  LENGTH_UNITS,
  LIVE,
  LOCAL_TASK,
  LOGIC,
  LONG_FORMS,
  MATHS_TERMS,
  MEDICAL,
  NUMBER,
  OPERATORS,
  PLAN,
  PROOF,
  QUANTITY_QUESTION,
  RARE_LANGUAGES,
  SAFETY,
  SHORT_OUTPUT,
  SHORT_QUESTION,
  STACK_TRACE,
  TECH_TERMS,
  TRANSLATE,
  URGENT,
  WHY,
  count,
} from './router-cues.ts';
import { detectLanguage, type PromptLanguage } from './router-language.ts';

// The cue lists and language detection live in their own modules; callers import them from here.
export { CUE_ALTERNATIVES, cueRegex } from './router-cues.ts';
export { detectLanguage, type PromptLanguage } from './router-language.ts';

// ── the feature table ───────────────────────────────────────────────────────────────────────────────────────

export interface FeatureContext {
  raw: string;
  lower: string;
  words: number;
  userTokens: number;
  lines: string[];
  language: PromptLanguage;
  numbers: number;
  hasCode: boolean;
  hasTrace: boolean;
}

export interface FeatureDef {
  /** The arguments of its sentence (escalation:reasons.<id>, "It involves several numbers ({count})."), if any. */
  params?: (ctx: FeatureContext) => Readonly<Record<string, string | number>>;
  value: (ctx: FeatureContext) => number;
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));
const has = (re: RegExp, ctx: FeatureContext) => re.test(ctx.raw);
/** One cue counts most; a second one confirms. */
const hits = (re: RegExp, ctx: FeatureContext) => {
  const n = count(re, ctx.raw);
  return n === 0 ? 0 : n === 1 ? 0.7 : 1;
};
const askedSomething = (ctx: FeatureContext) => /\?|¿/.test(ctx.raw) || ASKS.test(ctx.raw);

/** Every feature the router computes. The order is the order of the weights in router-weights.json. */
export const FEATURES = {
  'code-block': {
    value: (c) => (c.hasCode ? 1 : 0),
  },
  'error-trace': {
    value: (c) => (c.hasTrace ? 1 : 0),
  },
  'code-question': {
    value: (c) => ((c.hasCode || c.hasTrace) && askedSomething(c) ? 1 : 0),
  },
  'build-code': {
    value: (c) => (has(TECH_TERMS, c) && has(BUILD_VERBS, c) ? 1 : 0),
  },
  'tech-terms': {
    value: (c) => clamp01(count(TECH_TERMS, c.raw) / 3),
  },
  numbers: {
    params: (c) => ({ count: c.numbers }),
    value: (c) => clamp01((c.numbers - 1) / 4),
  },
  'maths-expression': {
    value: (c) => (OPERATORS.test(c.raw) ? 1 : 0),
  },
  'maths-terms': {
    value: (c) => hits(MATHS_TERMS, c),
  },
  'word-problem': {
    value: (c) => (c.numbers >= 2 && has(QUANTITY_QUESTION, c) && c.words >= 12 ? 1 : 0),
  },
  proof: {
    value: (c) => (has(PROOF, c) ? 1 : 0),
  },
  'logic-puzzle': {
    value: (c) => (has(LOGIC, c) ? 1 : 0),
  },
  constraints: {
    value: (c) => {
      const listItems = c.lines.filter((l) => /^\s*(?:[-*•·]|\d+[.)])\s+\S/.test(l)).length;
      const words = count(CONSTRAINT_WORDS, c.raw);
      const clauses = (c.raw.match(/[,;:]/g) ?? []).length;
      return clamp01((listItems + words + clauses / 2 - 2) / 6);
    },
  },
  'long-output': {
    value: (c) => {
      const m = /(\d[\d\s.,]*)\s*(?:-\s*)?([\p{L}]+)/gu;
      let asked = 0;
      for (const hit of c.raw.matchAll(m)) {
        const n = Number(hit[1].replace(/[\s.,]/g, ''));
        if (LENGTH_UNITS.test(hit[2])) {
          const unit = hit[2].toLowerCase();
          const per = /^(?:page|pági|seite)/u.test(unit)
            ? 400
            : /^(?:parag|párr|absa|absä)/u.test(unit)
              ? 100
              : 1;
          asked = Math.max(asked, n * per);
        }
      }
      if (asked >= 250) return 1;
      if (has(LONG_FORMS, c) && (has(DETAIL, c) || asked >= 150)) return 0.8;
      return has(LONG_FORMS, c) ? 0.4 : 0;
    },
  },
  detail: {
    value: (c) => (has(DETAIL, c) ? 1 : 0),
  },
  plan: {
    value: (c) => (has(PLAN, c) ? 1 : 0),
  },
  analysis: {
    value: (c) => hits(ANALYSIS, c),
  },
  'live-data': {
    value: (c) => hits(LIVE, c),
  },
  medical: {
    value: (c) => hits(MEDICAL, c),
  },
  urgent: {
    value: (c) => (has(URGENT, c) ? 1 : 0),
  },
  legal: {
    value: (c) => hits(LEGAL, c),
  },
  finance: {
    value: (c) => hits(FINANCE, c),
  },
  'creative-form': {
    value: (c) => (has(CREATIVE_FORM, c) ? 1 : 0),
  },
  'rare-language': {
    value: (c) => (has(RARE_LANGUAGES, c) && has(TRANSLATE, c) ? 1 : 0),
  },
  'not-english': {
    params: (c) => ({ language: c.language }),
    value: (c) => (c.language === 'en' ? 0 : c.language === 'other' ? 1 : 0.5),
  },
  'several-questions': {
    value: (c) => clamp01(((c.raw.match(/\?/g) ?? []).length - 1) / 2),
  },
  'long-prompt': {
    params: (c) => ({ tokens: c.userTokens }),
    value: (c) => clamp01((Math.log2(Math.max(c.words, 1)) - 4) / 6),
  },
  'everyday-task': {
    value: (c) => (has(LOCAL_TASK, c) ? 1 : 0),
  },
  greeting: {
    value: (c) => (has(GREETING, c) && c.words <= 12 ? 1 : 0),
  },
  'short-question': {
    value: (c) => (has(SHORT_QUESTION, c) && c.words <= 12 ? 1 : 0),
  },
  'why-question': {
    value: (c) => (has(WHY, c) ? 1 : 0),
  },
  ingested: {
    value: (c) => (has(INGESTED, c) ? 1 : 0),
  },
  safety: {
    value: (c) => (has(SAFETY, c) ? 1 : 0),
  },
  advice: {
    value: (c) => (has(ADVICE, c) ? 1 : 0),
  },
  'short-answer': {
    value: (c) => (has(SHORT_OUTPUT, c) ? 1 : 0),
  },
  'transform-given-text': {
    value: (c) => {
      const head = c.raw.split(/\s+/).slice(0, 10).join(' ');
      return has(LOCAL_TASK, { ...c, raw: head }) && /[:«»“”„"']/.test(c.raw) ? 1 : 0;
    },
  },
} as const satisfies Record<string, FeatureDef>;

export type FeatureId = keyof typeof FEATURES;
export const FEATURE_IDS = Object.keys(FEATURES) as FeatureId[];
export type FeatureVector = Record<FeatureId, number>;

export function featureContext(raw: string, userTokens: number): FeatureContext {
  const lines = raw.split('\n');
  const codeLines = lines.filter((l) => CODE_LINE.test(l)).length;
  return {
    raw,
    lower: raw.toLowerCase(),
    words: raw.split(/\s+/).filter(Boolean).length,
    userTokens,
    lines,
    language: detectLanguage(raw),
    numbers: (raw.match(NUMBER) ?? []).length,
    hasCode: raw.includes('```') || codeLines >= 2,
    hasTrace: STACK_TRACE.test(raw),
  };
}

export function extractFeatures(ctx: FeatureContext): FeatureVector {
  const out = {} as FeatureVector;
  for (const id of FEATURE_IDS) out[id] = FEATURES[id].value(ctx);
  return out;
}

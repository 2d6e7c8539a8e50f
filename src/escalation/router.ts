/**
 * The router: for one request, which downloaded model to use (the smallest likely good enough) and whether the
 * request is worth a large remote model. All rules live in `ROUTER_RULES`, each with a weight and a sentence the UI
 * shows ("The prompt asks for multi-step maths."). The score is the sum of the weights of the rules that fired;
 * the request escalates when it reaches `ESCALATION_THRESHOLD`, or when a decisive rule fires (the user's "ask the
 * large model" button, a conversation longer than any local model can read).
 *
 * The rules were written from general knowledge of what small models (135M–1.5B) get wrong, then tuned on the
 * `tune` half of router-dataset.json; router.test.ts reports accuracy on both halves.
 */
import type { ChatMessage } from '../engine/protocol.ts';
import { estimateMessagesTokens, estimateTokens } from './pricing.ts';

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
  /** Parameter count, e.g. 135e6. */
  parameters: number;
  /** Context window in tokens. */
  contextLength: number;
  goodFor: readonly GoodForTag[];
}

/** Confidence of the local answer, from the backend's token log-probabilities. */
export interface LocalConfidence {
  /** Mean natural-log probability of the generated tokens (0 = certain; −1 ≈ 37 %; −2.3 ≈ 10 %). */
  meanLogprob?: number;
  /** Mean entropy of the next-token distributions, in nats. */
  meanEntropy?: number;
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
}

export const ROUTER_RULES = {
  'user-asked': { weight: 1, decisive: true, needs: [] },
  'no-local-model': { weight: 1, decisive: true, needs: [] },
  'context-overflow': { weight: 1, decisive: true, needs: [] },
  'long-input': { weight: 0.6, decisive: false, needs: [] },
  'long-summary': { weight: 0.3, decisive: false, needs: ['summarise'] },
  'code-task': { weight: 0.8, decisive: false, needs: ['code'] },
  proof: { weight: 1, decisive: false, needs: ['maths'] },
  'advanced-maths': { weight: 0.8, decisive: false, needs: ['maths'] },
  'multi-step': { weight: 0.7, decisive: false, needs: ['reasoning'] },
  'many-constraints': { weight: 0.3, decisive: false, needs: ['reasoning'] },
  analysis: { weight: 0.7, decisive: false, needs: ['reasoning'] },
  'expert-domain': { weight: 0.8, decisive: false, needs: ['reasoning'] },
  'non-english': { weight: 0.3, decisive: false, needs: ['multilingual'] },
  'rare-language': { weight: 1, decisive: false, needs: ['multilingual'] },
  'up-to-date': { weight: 1, decisive: false, needs: [] },
  'long-writing': { weight: 0.8, decisive: false, needs: [] },
  'low-confidence': { weight: 1, decisive: false, needs: [] },
  'everyday-task': { weight: -0.3, decisive: false, needs: [] },
  'capable-local-model': { weight: -0.2, decisive: false, needs: [] },
} as const satisfies Record<string, { weight: number; decisive: boolean; needs: readonly GoodForTag[] }>;

export type RouterRuleId = keyof typeof ROUTER_RULES;

export const ESCALATION_THRESHOLD = 0.7;

export interface RouterReason {
  rule: RouterRuleId;
  weight: number;
  /** A short sentence for the UI. */
  explanation: string;
}

export interface RouteDecision {
  /** The smallest downloaded model likely good enough; null when none is downloaded. */
  localModelId: string | null;
  escalate: boolean;
  score: number;
  threshold: number;
  reasons: RouterReason[];
  /** Estimated prompt tokens of the whole conversation. */
  promptTokens: number;
}

// ── signal detectors (on the last user message, lower-cased) ───────────────────────────────────────────────

const TECH =
  /\b(python|typescript|javascript|js|node(?:\.js)?|react|next\.js|rust|golang|go|c\+\+|java|kotlin|swift|sql|postgres(?:ql)?|mysql|django|flask|kubernetes|k8s|docker|terraform|redis|bash|shell script|regex|regular expression|wgsl|webgpu|shader|api|cli|monorepo|microservices?|async|await|callback|thread(?:s|ed)?|class component|hook|function|algorithm|query|parser|cache|trie|iterator)\b/;
const CODE_SNIPPET =
  /```|=>|[{};]\s*$|\bdef \w+\(|\bfunction\s*\w*\(|\bselect\b[\s\S]*\bfrom\b|\bconst \w+ =|\w+\.\w+\(|\bif\s*\(/m;
const CODE_TASK =
  /\b(write|implement|build|refactor|debug|fix|optimi[sz]e|design|convert|review|find the bug|explain what this|crash(?:es)?|deadlock|race condition|structure|reconcil\w*|(?:script|function|program|tool) that)\b/;

const PROOF = /\b(prove|proof|rigorous(?:ly)?|show that)\b/;
const ADV_MATHS =
  /\b(integral|integrat(?:e|ion)|derivative|differential equation|eigen\w*|matrix|limit of|series|probability|expected (?:number|value)|lagrange|fourier|how many ways|derive|system:|compounded|prime\?|modular|logarithm)\b|\b[xyz]\^\d|\by''|\be\^|\^\(|\bsolve\b.*[=]/;

const PLANNING =
  /\b(plan|planning|roadmap|itinerary|curriculum|strategy|timeline|step[- ]by[- ]step|phased|milestones|schedule|logistics|go-to-market|restructure)\b/;
const ANALYSIS =
  /\b(analy[sz]e|analysis|evaluate|critique|trade-offs?|pros and cons|implications|weigh|assess|interpret|objections|arguments?|compare|contributed to|competing|balanced conclusion|deductions?|counterexample|confounders|explain why|why it works|which caused|ethical)\b/;

const LEGAL =
  /\b(landlord|tenant|lease|deposit|contract|clause|liabilit(?:y|ies)|lawsuit|sue|court|custody|gdpr|ccpa|trademark|copyright|fair use|employer|fired|dismiss(?:al|ed)|probate|living trust|my will|a will|non-compete|eviction|enforceable|legal(?:ly)?|law|llc|limited company|cease and desist|personal guarantee|visas?|harass(?:ed|ment)|data breach|rights)\b/;
const MEDICAL =
  /\b(symptoms?|diagnos(?:is|ed)|dos(?:e|es|age)|medications?|prescription|pregnan(?:t|cy)|fever|rash|blood test|chest|insulin|statins?|cholesterol|warfarin|ibuprofen|sertraline|prednisone|anticoagulants?|diabetes|thyroid|tsh|adhd|migraine|sepsis|atrial|brca\d?|kidney|liver|alt|ast|painkillers?|supplement|st john's wort|surgery|trimester|taper|professional help|feels empty)\b/;
const FINANCE =
  /\b(tax(?:es|ed)?|capital gains|ira|pension|mortgage|invest(?:ing|ment)?|index funds|depreciation|options pricing|black-scholes|isos?|nsos?|cash-flow|loan|equity|interest rates?)\b/;

const NON_LATIN = /(?!\p{Script=Latin})\p{L}/gu;
const FOREIGN_WORDS =
  /\b(le|la|les|des|est|pour|avec|je|vous|el|los|las|por|para|cómo|qué|der|die|das|und|ist|nicht|ich|wie|heißt|il|della|che|het|een|não|você|traduis|übersetze|ubersetze)\b|[¿¡]/gu;
const RARE_LANGUAGES = [
  'yoruba',
  'quechua',
  'icelandic',
  'isländisch',
  'tigrinya',
  'welsh',
  'amharic',
  'basque',
  'khmer',
  'maori',
  'māori',
  'lao',
  'sinhala',
  'wolof',
  'faroese',
  'hmong',
  'igbo',
  'hausa',
  'zulu',
  'xhosa',
  'somali',
  'swahili',
  'nepali',
  'burmese',
  'mongolian',
  'tibetan',
  'uyghur',
  'pashto',
  'kurdish',
  'armenian',
  'georgian',
  'albanian',
  'maltese',
  'irish',
  'gaelic',
  'breton',
  'luxembourgish',
  'estonian',
  'latvian',
  'lithuanian',
  'kinyarwanda',
  'malagasy',
  'samoan',
  'tongan',
  'fijian',
  'haitian creole',
  'guarani',
  'aymara',
  'inuktitut',
  'cherokee',
  'navajo',
  'hawaiian',
];
const RARE_LANGUAGE = new RegExp(`\\b(${RARE_LANGUAGES.join('|')})\\w*`, 'u');
const LANGUAGE_TASK = /\b(translat\w*|übersetze|ubersetze|in|into|greeting|say)\b/;

const UP_TO_DATE =
  /\b(latest|newest|most recent|recent(?:ly)?|right now|current(?:ly)?|this (?:week|month|year)|last week|yesterday's|today'?s|news|headlines|stock price|exchange rate|forecast|who won)\b/;

const LONG_WRITING =
  /\b(\d[\d,.]*\s*-?\s*words?|chapter|screenplay|novel|white paper|grant proposal|keynote|sonnet|villanelle|iambic|rhyme scheme)\b/;

const EVERYDAY =
  /^(hi|hello|hey|good (?:morning|night|evening)|thanks?|thank you|ok|rewrite|reword|rephrase|paraphrase|fix the grammar|correct|shorten|make (?:this|my)|turn (?:this|these)|change this|convert this|put this|capitali[sz]e|remove|improve|summari[sz]e|sum up|tl;?dr|one-line|give (?:me )?(?:a|the|three|five)|in a few words|what(?:'s| is) the main point|classify|is this|is '|label|tag|extract|pull out|detect|rate|which|does this|sort|identify|find the|categori[sz]e|translate|how do (?:i|you) say|what does|write a (?:short|two|four|one|haiku|polite)|draft a text|suggest|name|what is|what's|who|how many|how do i|where|can i|do you)\b/;

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return '';
}

function pct(p: number): string {
  return `${Math.round(p * 100)} %`;
}

/** Picks the smallest model that fits the conversation and covers `needs`; see RouteDecision.localModelId. */
export function chooseLocalModel(
  models: readonly LocalModelInfo[],
  promptTokens: number,
  needs: ReadonlySet<GoodForTag>,
): LocalModelInfo | null {
  if (models.length === 0) return null;
  const fitting = models.filter((m) => m.contextLength >= promptTokens);
  if (fitting.length === 0) return [...models].sort((a, b) => b.contextLength - a.contextLength)[0];
  const coverage = (m: LocalModelInfo) => [...needs].filter((t) => m.goodFor.includes(t)).length;
  return [...fitting].sort((a, b) => coverage(b) - coverage(a) || a.parameters - b.parameters)[0];
}

export function route(input: RouteInput): RouteDecision {
  const reserve = input.answerReserveTokens ?? 512;
  const promptTokens = estimateMessagesTokens(input.messages);
  const raw = lastUserText(input.messages);
  const text = raw.toLowerCase();
  const userTokens = estimateTokens(raw);
  const words = raw.split(/\s+/).filter(Boolean).length;
  const fired: { rule: RouterRuleId; explanation: string }[] = [];
  const fire = (rule: RouterRuleId, explanation: string) => fired.push({ rule, explanation });

  if (input.userAskedForRemote) fire('user-asked', 'You asked for the large model.');
  const maxContext = Math.max(0, ...input.localModels.map((m) => m.contextLength));
  if (input.localModels.length === 0) fire('no-local-model', 'No model is downloaded on this device yet.');
  else if (promptTokens + reserve > maxContext)
    fire(
      'context-overflow',
      `The conversation (about ${promptTokens} tokens) is longer than any downloaded model can read (${maxContext} at most).`,
    );
  if (userTokens > 1200)
    fire(
      'long-input',
      `The prompt is long (about ${userTokens} tokens); small models lose track of long texts.`,
    );
  if (userTokens > 800 && /\b(summari[sz]e|summary|condense|tl;?dr|key points|overview)\b/.test(text))
    fire('long-summary', 'It asks to summarise a long document.');

  const hasSnippet = CODE_SNIPPET.test(raw);
  if ((hasSnippet && CODE_TASK.test(text)) || (TECH.test(text) && CODE_TASK.test(text) && words >= 12))
    fire('code-task', 'The prompt asks for non-trivial programming work.');
  if (PROOF.test(text)) fire('proof', 'The prompt asks for a mathematical proof.');
  else if (ADV_MATHS.test(text)) fire('advanced-maths', 'The prompt asks for multi-step maths.');
  if (PLANNING.test(text) && words >= 12)
    fire('multi-step', 'The request asks for a plan with several steps that depend on each other.');
  const constraints = (raw.match(/,|;|\band\b|\bwith\b|\bincluding\b|\bwhile\b/gi) ?? []).length;
  if (constraints >= 4 && words >= 25)
    fire('many-constraints', 'The request combines many constraints at once.');
  if (ANALYSIS.test(text) && words >= 8) fire('analysis', 'It asks for careful analysis or argument.');
  const domains = [
    LEGAL.test(text) && 'legal',
    MEDICAL.test(text) && 'medical',
    FINANCE.test(text) && 'financial',
  ].filter(Boolean);
  if (domains.length > 0 && words >= 8)
    fire(
      'expert-domain',
      `It is a ${domains.join('/')} question where nuance matters; a larger model is more reliable (and still no substitute for a professional).`,
    );

  const rare = RARE_LANGUAGE.exec(text);
  if (rare && LANGUAGE_TASK.test(text)) {
    const name = rare[1].charAt(0).toUpperCase() + rare[1].slice(1);
    fire('rare-language', `It asks for ${name}, a language small models barely know.`);
  } else {
    const letters = (raw.match(/\p{L}/gu) ?? []).length;
    const nonLatin = (raw.match(NON_LATIN) ?? []).length;
    const foreign = (raw.match(FOREIGN_WORDS) ?? []).length;
    if ((letters > 0 && nonLatin / letters > 0.2) || foreign >= 2)
      fire('non-english', 'The prompt is not in English; small models are weaker in other languages.');
  }
  if (UP_TO_DATE.test(text) || (/\btoday\b/.test(text) && raw.includes('?') && !/how are you/.test(text)))
    fire('up-to-date', 'It asks about recent events or live data, which a downloaded model cannot know.');
  if (LONG_WRITING.test(text))
    fire('long-writing', 'It asks for a long or tightly constrained piece of writing.');

  const c = input.confidence;
  if (c?.meanLogprob !== undefined && c.meanLogprob < -1.5)
    fire(
      'low-confidence',
      `The local model was unsure of its answer (average token probability ${pct(Math.exp(c.meanLogprob))}).`,
    );
  else if (c?.meanEntropy !== undefined && c.meanEntropy > 2.5)
    fire(
      'low-confidence',
      `The local model was unsure of its answer (entropy ${c.meanEntropy.toFixed(1)} nats).`,
    );

  // Everyday phrasing only lowers the score when no strong content signal (≥ 0.8) is present.
  const strong = fired.some((f) => ROUTER_RULES[f.rule].weight >= 0.8);
  if (!strong && EVERYDAY.test(text.trim()) && words <= 40 && userTokens <= 300)
    fire('everyday-task', 'This looks like an everyday task small models handle well.');

  const needs = new Set<GoodForTag>(fired.flatMap((f) => ROUTER_RULES[f.rule].needs));
  const chosen = chooseLocalModel(input.localModels, promptTokens + reserve, needs);
  if (
    chosen &&
    chosen.parameters >= 1.4e9 &&
    needs.size > 0 &&
    [...needs].every((t) => chosen.goodFor.includes(t))
  )
    fire(
      'capable-local-model',
      `${chosen.id} (${(chosen.parameters / 1e9).toFixed(1)}B parameters) is downloaded and suits this kind of request.`,
    );

  const reasons: RouterReason[] = fired.map((f) => ({
    rule: f.rule,
    weight: ROUTER_RULES[f.rule].weight,
    explanation: f.explanation,
  }));
  const score = Math.round(reasons.reduce((s, r) => s + r.weight, 0) * 100) / 100;
  const decisive = reasons.some((r) => ROUTER_RULES[r.rule].decisive);
  return {
    localModelId: chosen?.id ?? null,
    escalate: decisive || score >= ESCALATION_THRESHOLD,
    score,
    threshold: ESCALATION_THRESHOLD,
    reasons,
    promptTokens,
  };
}

/**
 * What the router knows about a downloaded model, from the catalog: its size, context, the languages it was
 * trained to follow and what it is good at. The catalog holds size and context as data and strengths as a
 * sentence; languages and strengths per family come from the families' model cards (below), and the catalog's
 * sentence adds what it names ("multilingual", "code", "maths", "reasoning", "summaries").
 */
import type { CatalogEntry } from '../models/catalog.ts';
import type { GoodForTag, LocalModelInfo } from './router.ts';

interface FamilyFacts {
  languages: readonly string[];
  /** Strengths every size of the family has. */
  goodFor: readonly GoodForTag[];
  /** Further strengths from this many parameters up. */
  from?: { parameters: number; goodFor: readonly GoodForTag[] };
}

const BASIC: readonly GoodForTag[] = ['chat', 'rewrite', 'classify'];

/** From each family's model card (checked against the catalog's notes). */
const FAMILIES: Record<string, FamilyFacts> = {
  // SmolLM2: trained on English data only.
  SmolLM2: {
    languages: ['en'],
    goodFor: BASIC,
    from: { parameters: 3e8, goodFor: ['summarise', 'extract'] },
  },
  // Qwen2.5: "over 29 languages".
  'Qwen2.5': {
    languages: ['en', 'zh', 'fr', 'es', 'pt', 'de', 'it', 'ru', 'ja', 'ko', 'vi', 'th', 'ar'],
    goodFor: [...BASIC, 'summarise', 'extract', 'multilingual', 'code', 'maths'],
    from: { parameters: 1.4e9, goodFor: ['reasoning'] },
  },
  // Llama 3.2: eight officially supported languages.
  'Llama 3.2': {
    languages: ['en', 'de', 'fr', 'it', 'pt', 'hi', 'es', 'th'],
    goodFor: [...BASIC, 'summarise', 'extract', 'multilingual'],
    from: { parameters: 3e9, goodFor: ['reasoning', 'code', 'maths'] },
  },
  'Phi-3.5': { languages: ['en'], goodFor: [...BASIC, 'summarise', 'extract', 'reasoning', 'maths', 'code'] },
  'Gemma 2': {
    languages: ['en'],
    goodFor: [...BASIC, 'summarise', 'extract', 'reasoning'],
  },
  Mistral: {
    languages: ['en', 'fr', 'de', 'es', 'it'],
    goodFor: [...BASIC, 'summarise', 'extract', 'reasoning'],
  },
  Ministral: {
    languages: ['en', 'fr', 'de', 'es', 'it', 'pt'],
    goodFor: [...BASIC, 'summarise', 'extract', 'multilingual', 'reasoning', 'code', 'maths'],
  },
};

const FROM_SENTENCE: [RegExp, GoodForTag][] = [
  [/multilingual|languages/i, 'multilingual'],
  [/\bcode\b/i, 'code'],
  [/\bmaths?\b/i, 'maths'],
  [/reasoning/i, 'reasoning'],
  [/summar/i, 'summarise'],
  [/rewrit|reword/i, 'rewrite'],
  [/classif/i, 'classify'],
];

export function localModelFromCatalog(
  entry: Pick<CatalogEntry, 'id' | 'label' | 'family' | 'paramCount' | 'contextLength' | 'goodFor'>,
  contextLength = entry.contextLength,
): LocalModelInfo {
  const facts = FAMILIES[entry.family];
  const tags = new Set<GoodForTag>(facts?.goodFor ?? ['chat']);
  if (facts?.from && entry.paramCount >= facts.from.parameters)
    for (const t of facts.from.goodFor) tags.add(t);
  for (const [re, tag] of FROM_SENTENCE) if (re.test(entry.goodFor)) tags.add(tag);
  return {
    id: entry.id,
    label: entry.label,
    parameters: entry.paramCount,
    contextLength,
    goodFor: [...tags],
    ...(facts ? { languages: facts.languages } : {}),
  };
}

/** The catalog entry a loaded model belongs to (the engine reports the repository it loaded). */
export function catalogEntryFor(catalog: readonly CatalogEntry[], model: string): CatalogEntry | undefined {
  return catalog.find(
    (e) =>
      e.id === model || e.repo === model || e.onnx?.repo === model || e.mlc.some((b) => b.modelId === model),
  );
}

/**
 * The models the router may choose from: the one that answered (with the context it really runs with) and every
 * other catalog model complete in the store.
 */
export function downloadedModels(
  catalog: readonly CatalogEntry[],
  stored: (entry: CatalogEntry) => boolean,
  loaded: { modelId: string; contextLength: number },
): LocalModelInfo[] {
  const current = catalogEntryFor(catalog, loaded.modelId);
  const out: LocalModelInfo[] = [
    current
      ? localModelFromCatalog(current, loaded.contextLength)
      : { id: loaded.modelId, parameters: 0, contextLength: loaded.contextLength, goodFor: [] },
  ];
  for (const e of catalog)
    if (e !== current && !e.noBrowserBuild && stored(e)) out.push(localModelFromCatalog(e));
  return out;
}

/** The room the app keeps for an answer (as fitToContext in use-petit does). */
export const answerReserve = (maxTokens: number, contextLength: number) =>
  Math.min(maxTokens, Math.floor(contextLength / 4));

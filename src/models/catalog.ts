import type { Dtype } from '../engine/types.ts';

/** A model users can pick. Data, not code: the model manager extends it with pinned files and hashes. */
export interface CatalogEntry {
  /** Short id used by the UI and `engine.load()`. */
  id: string;
  label: string;
  /** Hub repository, `org/name`. */
  repo: string;
  /** Commit to download; `main` until the catalog pins one. */
  revision: string;
  dtypes: Dtype[];
  /** Approximate parameters, for display. */
  params: string;
  contextLength: number;
  license: string;
  goodFor: string;
}

export const BUILTIN_CATALOG: readonly CatalogEntry[] = [
  {
    id: 'smollm2-135m-instruct',
    label: 'SmolLM2 135M Instruct',
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    revision: 'main',
    dtypes: ['q4', 'q8', 'fp16', 'fp32'],
    params: '135M',
    contextLength: 8192,
    license: 'Apache-2.0',
    goodFor: 'Quick rewording, short answers and classification on any device.',
  },
  {
    id: 'smollm2-360m-instruct',
    label: 'SmolLM2 360M Instruct',
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    revision: 'main',
    dtypes: ['q4', 'q8', 'fp16', 'fp32'],
    params: '360M',
    contextLength: 8192,
    license: 'Apache-2.0',
    goodFor: 'Everyday chat and summaries of short texts.',
  },
  {
    id: 'qwen2.5-0.5b-instruct',
    label: 'Qwen2.5 0.5B Instruct',
    repo: 'onnx-community/Qwen2.5-0.5B-Instruct',
    revision: 'main',
    dtypes: ['q4', 'q8', 'fp16', 'fp32'],
    params: '494M',
    contextLength: 32768,
    license: 'Apache-2.0',
    goodFor: 'Multilingual answers and simple code.',
  },
];

type ExtraEntry = Pick<CatalogEntry, 'id' | 'repo' | 'dtypes'> & Partial<CatalogEntry>;

function isEntry(value: unknown): value is ExtraEntry {
  const v = value as ExtraEntry;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.repo === 'string' &&
    Array.isArray(v.dtypes) &&
    v.dtypes.length > 0
  );
}

/**
 * Extra entries a deployment (or the demo and the tests) adds at build time through
 * `VITE_PETIT_EXTRA_MODELS`, a JSON array of catalog entries; they are listed first.
 */
export function parseExtraModels(json: string | undefined): CatalogEntry[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isEntry).map((e) => ({
      revision: 'main',
      params: '',
      contextLength: 2048,
      license: 'see repository',
      goodFor: '',
      ...e,
      label: e.label ?? e.id,
    }));
  } catch {
    return [];
  }
}

export function buildCatalog(extraJson: string | undefined): CatalogEntry[] {
  const extra = parseExtraModels(extraJson);
  const ids = new Set(extra.map((e) => e.id));
  return [...extra, ...BUILTIN_CATALOG.filter((e) => !ids.has(e.id))];
}

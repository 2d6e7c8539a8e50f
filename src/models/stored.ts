import type { CatalogEntry } from './catalog.ts';
import type { ModelRecord } from './store-db.ts';
import { modelPrefix } from './store.ts';

/** web-llm's revision of the prebuilt MLC repositories (its prebuiltAppConfig does not pin one either). */
export const MLC_REVISION = 'main';

/** The builds of one catalog entry that are complete in the model store: what can load with no network. */
export interface StoredBuilds {
  /** ONNX dtypes (`q8`, `q4`, …) kept for the entry's revision on this hub. */
  readonly onnx: ReadonlySet<string>;
  /** web-llm quantizations (`q4f16_1`, …) kept for the entry's MLC builds on this hub. */
  readonly mlc: ReadonlySet<string>;
}

export const NOTHING_STORED: StoredBuilds = { onnx: new Set(), mlc: new Set() };

/** The model index's records (or the store's listing, which carries the same fields), by prefix. */
export type KeptModels = ReadonlyMap<string, Pick<ModelRecord, 'prefix' | 'dtypes'>>;

export function keptModels(records: readonly Pick<ModelRecord, 'prefix' | 'dtypes'>[]): KeptModels {
  return new Map(records.map((r) => [r.prefix, r]));
}

/**
 * What of one entry the model index lists. Only complete dtypes are recorded there: an interrupted download
 * cannot load offline. The hub matters: a model kept from a mirror is not the same files as the one on the
 * default hub.
 */
export function storedBuildsOf(
  entry: Pick<CatalogEntry, 'repo' | 'revision' | 'hubUrl' | 'mlc'>,
  hubUrl: string,
  byPrefix: KeptModels,
): StoredBuilds {
  const hub = entry.hubUrl ?? hubUrl;
  const onnx = new Set(byPrefix.get(modelPrefix(hub, entry.repo, entry.revision ?? 'main'))?.dtypes ?? []);
  const mlc = new Set<string>();
  for (const build of entry.mlc) {
    if (byPrefix.get(modelPrefix(hub, build.repo, MLC_REVISION))?.dtypes.includes(build.quantization))
      mlc.add(build.quantization);
  }
  return { onnx, mlc };
}

export function hasStoredBuild(stored: StoredBuilds): boolean {
  return stored.onnx.size > 0 || stored.mlc.size > 0;
}

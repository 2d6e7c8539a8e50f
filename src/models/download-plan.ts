import { PetitError } from '../engine/errors.ts';
import { probeStorage } from './capabilities.ts';
import { onnxFileFor, type CatalogEntry, type PinnedFile } from './catalog.ts';
import { estimateTokenizerBytes, estimateWeightBytes, type OnnxDtype } from './estimates.ts';
import { formatSize } from './format-size.ts';
import { hubFileUrl, type ExpectedFile, type ModelStore } from './store.ts';

/** Which files a transformers.js model needs, how big they are, and whether they fit before any byte moves. */

export interface ModelRequest {
  hubUrl: string;
  repo: string;
  revision: string;
  dtype: OnnxDtype;
}

export interface PlannedFile {
  path: string;
  url: string;
  /** Fetched from here instead of `url` when the model is pinned to a commit (pins.ts). */
  from?: string;
  optional: boolean;
  expected: ExpectedFile;
  /** Bytes of the whole file: exact when pinned, else estimated from the catalog, null when unknown. */
  size: number | null;
}

export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const OPTIONAL_FILES = ['generation_config.json'] as const;

/** The pinned files of `entry` when it pins exactly this repo and revision. */
export function pinnedFiles(
  entry: CatalogEntry | undefined,
  request: ModelRequest,
): Record<string, PinnedFile> {
  const onnx = entry?.onnx;
  if (!onnx || onnx.repo !== request.repo || !onnx.revision || onnx.revision !== request.revision) return {};
  return onnx.files;
}

/**
 * The files to fetch, with their exact size when pinned, else the catalog's estimate (no request is made to learn
 * sizes: the quota check runs before the first byte, and each file is checked again when its headers arrive).
 */
export function planFiles(
  request: ModelRequest,
  pins: Record<string, PinnedFile>,
  entry?: CatalogEntry,
): PlannedFile[] {
  const onnx = onnxFileFor(request.dtype);
  // External data of a pinned revision is known up front; otherwise config.json names it (fetch-model.ts).
  const external = Object.keys(pins).filter((p) => p.startsWith(`${onnx}_data`));
  const known = entry && entry.paramCount > 0 && entry.onnx?.repo === request.repo;
  const estimate = (path: string): number | null => {
    if (!known) return null;
    if (path === onnx) return estimateWeightBytes(entry.paramCount, entry.architecture, request.dtype);
    if (path === 'tokenizer.json') return estimateTokenizerBytes(entry.architecture);
    return null;
  };
  const file = (path: string, optional: boolean): PlannedFile => {
    const pin = pins[path];
    return {
      path,
      url: hubFileUrl(request.hubUrl, request.repo, request.revision, path),
      optional,
      expected: pin ? { size: pin.size, sha256: pin.sha256 } : {},
      size: pin?.size ?? estimate(path),
    };
  };
  return [
    ...REQUIRED_FILES.map((p) => file(p, false)),
    file(onnx, false),
    ...external.map((p) => file(p, false)),
    // A pinned revision says whether the optional file exists: no request for one it lacks.
    ...OPTIONAL_FILES.filter((p) => Object.keys(pins).length === 0 || pins[p]).map((p) => file(p, true)),
  ];
}

/**
 * Refuses a download that cannot fit before any byte is fetched. Counts what is still missing, plus the largest
 * missing file once more: committing a file copies it from the journal into the cache before the journal's copy
 * is released.
 */
export async function ensureRoom(store: ModelStore, plan: PlannedFile[]): Promise<void> {
  let remaining = 0;
  let largest = 0;
  for (const file of plan) {
    if (file.size === null) continue;
    const stored = await store.storedBytes(file.url);
    if (stored.complete) continue;
    remaining += Math.max(0, file.size - stored.bytes);
    largest = Math.max(largest, file.size);
  }
  if (remaining === 0) return;
  const { quota, usage } = await probeStorage();
  if (quota === null || usage === null) return;
  const needed = remaining + largest;
  const free = Math.max(0, quota - usage);
  if (needed > free) {
    throw new PetitError(
      'storage-quota',
      `This model needs ${formatSize(needed)} of storage, but the browser allows only ${formatSize(free)} more for this site. Delete models you no longer use (Models), or choose a smaller model or precision.`,
      { details: { needed, free, quota, usage } },
    );
  }
}

/** Checked when a file's headers arrive, before its body is read: its missing bytes, and its commit copy. */
export async function ensureRoomForFile(url: string, total: number, resumeFrom: number): Promise<void> {
  if (total <= 0) return;
  const { quota, usage } = await probeStorage();
  if (quota === null || usage === null) return;
  const needed = total - resumeFrom + total;
  const free = Math.max(0, quota - usage);
  if (needed > free) {
    throw new PetitError(
      'storage-quota',
      `${url.split('/').pop()} needs ${formatSize(needed)} of storage, but the browser allows only ${formatSize(free)} more for this site. Delete models you no longer use (Models), or choose a smaller model or precision.`,
      { details: { needed, free, quota, usage, url } },
    );
  }
}

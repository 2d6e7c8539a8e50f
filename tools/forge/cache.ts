/**
 * `forgeCached`: forge once, reuse everywhere (unit tests, e2e, benchmarks). The folder is
 * `.cache/forge/<key>/<org>/<name>/` where key hashes the resolved options and FORGE_VERSION; `<key>` is a root a
 * hub server can serve (`/{org}/{name}/resolve/{rev}/{file}`). A model is forged into a private temporary root
 * and renamed into place when complete, so concurrent test workers never see a half-forged folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMPLETE_MARKER,
  FORGE_VERSION,
  checkDtypes,
  forge,
  resolveForge,
  type ForgeOptions,
  type ForgeProgress,
} from './forge.ts';

export const DEFAULT_CACHE_ROOT =
  process.env.PETIT_FORGE_CACHE ?? fileURLToPath(new URL('../../.cache/forge', import.meta.url));

export interface CachedModel {
  /** The model folder (config.json, onnx/…). */
  dir: string;
  /** The hub root that holds `<org>/<name>`. */
  root: string;
  /** `<org>/<name>`. */
  modelId: string;
  /** False when the folder was already there. */
  forged: boolean;
}

export function cacheKey(options: ForgeOptions): string {
  const described = options.source
    ? { source: options.source.key, tiedHead: options.tiedHead ?? 'copy' }
    : { ...resolveForge(options), seed: options.seed ?? 0 };
  const key = {
    forge: FORGE_VERSION,
    ...described,
    dtypes: [...checkDtypes(options.dtypes)].sort(),
    externalData: options.externalData ?? null,
    q4AccuracyLevel: options.q4AccuracyLevel ?? null,
    modelId: options.modelId ?? null,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
}

export async function forgeCached(
  options: ForgeOptions,
  {
    cacheRoot = DEFAULT_CACHE_ROOT,
    onProgress,
  }: { cacheRoot?: string; onProgress?: (p: ForgeProgress) => void } = {},
): Promise<CachedModel> {
  const modelId = options.modelId ?? `petit/${options.preset ?? 'custom'}`;
  if (!/^[\w.-]+\/[\w.-]+$/.test(modelId)) throw new Error(`modelId must look like org/name, got ${modelId}`);
  const root = join(cacheRoot, cacheKey(options));
  const dir = join(root, modelId);
  if (existsSync(join(dir, COMPLETE_MARKER))) return { dir, root, modelId, forged: false };

  mkdirSync(cacheRoot, { recursive: true });
  sweepAbandoned(cacheRoot);
  const partial = `${root}.partial-${process.pid}-${Date.now()}`;
  try {
    await forge(join(partial, modelId), { ...options, modelId }, (p) =>
      onProgress?.({ ...p, message: p.message.replace(partial, root) }),
    );
    if (existsSync(root) && !existsSync(join(dir, COMPLETE_MARKER)))
      rmSync(root, { recursive: true, force: true });
    try {
      renameSync(partial, root);
    } catch (err) {
      // Another process finished first: its folder is complete, keep it.
      if (!existsSync(join(dir, COMPLETE_MARKER))) throw err;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return { dir, root, modelId, forged: true };
}

/** Removes partial folders left by forging processes that no longer exist (killed mid-forge). */
function sweepAbandoned(cacheRoot: string): void {
  for (const name of readdirSync(cacheRoot)) {
    const pid = Number(/\.partial-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(cacheRoot, name), { recursive: true, force: true });
    }
  }
}

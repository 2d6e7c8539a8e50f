/**
 * The benchmark's models: forged ONNX folders (tools/forge, cached) and the GGUF of the same weights (same preset and
 * seed), laid out as one local hub root (`<root>/petit-bench/<preset>/…`) by hard links, so nothing is copied.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgeCached } from '../../tools/forge/cache.ts';
import { resolveForge } from '../../tools/forge/forge.ts';
import { LLAMA_CPP_PRE, writeGguf, type GgufType } from '../../tools/forge/gguf.ts';
import type { PresetName } from '../../tools/forge/presets.ts';
import { randomWeights } from '../../tools/forge/random-weights.ts';
import { loadTokenizer } from '../../tools/forge/tokenizers.ts';
import { DTYPE_SUFFIX, type Dtype } from '../../tools/forge/types.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH_CACHE = join(REPO_ROOT, '.cache', 'bench');
export const HUB_ORG = 'petit-bench';
/** One seed for every model, so ONNX and GGUF files hold the same weights (and forged caches are shared). */
export const SEED = 1;

/**
 * wllama's file for each case, like for like: on WASM Petit runs a q4 file as its 8-bit rewrite (q4-to-q8.ts), so
 * the q4 case is compared with wllama's Q8_0, not its Q4_0.
 */
export const GGUF_TYPE: Record<Exclude<Dtype, 'fp16'>, GgufType> = { q4: 'Q8_0', q8: 'Q8_0', fp32: 'F32' };

export interface ModelCase {
  preset: PresetName;
  dtype: Exclude<Dtype, 'fp16'>;
}

export interface PreparedModel extends ModelCase {
  /** `petit-bench/<preset>`. */
  repo: string;
  /** Folder on disk (inside the hub root). */
  dir: string;
  onnxFile: string;
  onnxBytes: number;
  ggufType: GgufType;
  /** File name of the GGUF inside the repo. */
  ggufFile: string;
  ggufBytes: number;
  /** Seconds spent forging (0 when cached). */
  forgeSeconds: number;
}

export const caseName = (c: ModelCase) => `${c.preset} ${c.dtype}`;

function linkInto(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  if (existsSync(to)) {
    if (statSync(to).ino === statSync(from).ino) return;
    rmSync(to);
  }
  linkSync(from, to);
}

function linkTree(from: string, to: string, skip: (name: string) => boolean): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const src = join(from, entry.name);
    if (entry.isDirectory()) linkTree(src, join(to, entry.name), skip);
    else linkInto(src, join(to, entry.name));
  }
}

function ggufPath(preset: PresetName, type: GgufType): string {
  return join(BENCH_CACHE, 'gguf', `${preset}-s${SEED}-${type.toLowerCase()}.gguf`);
}

/** Writes the GGUF of a preset's weights unless it is already cached. */
function ensureGguf(preset: PresetName, type: GgufType): string {
  const path = ggufPath(preset, type);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  // The same resolution and weights as forge(): see tools/forge/gguf-cli.ts.
  const resolved = resolveForge({ preset, dtypes: ['fp32'] });
  const tok = loadTokenizer(resolved.tokenizer, resolved.shape.vocabSize);
  const shape = { ...resolved.shape, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId };
  writeGguf(path, {
    shape,
    weights: randomWeights(shape, SEED),
    tokenizer: tok,
    type,
    name: `${HUB_ORG}/${preset}`,
    pre: LLAMA_CPP_PRE[resolved.tokenizer],
  });
  return path;
}

/** Forges (or finds cached) every case and links it into `hubRoot`. */
export async function prepareModels(
  cases: ModelCase[],
  hubRoot: string,
  onStep: (message: string) => void,
): Promise<PreparedModel[]> {
  const out: PreparedModel[] = [];
  for (const c of cases) {
    const started = Date.now();
    onStep(`forging ${caseName(c)} (cached after the first run)`);
    // One dtype per forge: the cache key is then shared with tools/forge/measure-decode.ts.
    const forged = await forgeCached({ preset: c.preset, dtypes: [c.dtype], seed: SEED });
    const repo = `${HUB_ORG}/${c.preset}`;
    const dir = join(hubRoot, repo);
    linkTree(forged.dir, dir, (name) => name.startsWith('.forge'));
    const onnxFile = `onnx/model${DTYPE_SUFFIX[c.dtype]}.onnx`;
    const ggufType = GGUF_TYPE[c.dtype];
    onStep(`writing ${c.preset} ${ggufType} GGUF (cached after the first run)`);
    const gguf = ensureGguf(c.preset, ggufType);
    const ggufFile = `${c.preset}-${ggufType.toLowerCase()}.gguf`;
    linkInto(gguf, join(dir, ggufFile));
    out.push({
      ...c,
      repo,
      dir,
      onnxFile,
      onnxBytes: statSync(join(dir, onnxFile)).size,
      ggufType,
      ggufFile,
      ggufBytes: statSync(gguf).size,
      forgeSeconds: (Date.now() - started) / 1000,
    });
  }
  return out;
}

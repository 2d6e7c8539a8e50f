/**
 * `npm run catalog:refresh`: pins every ONNX build of the catalog to the hub's current commit and records the size
 * and SHA-256 of each file Petit downloads, into src/models/catalog-pins.json. Needs network access to the hub.
 *
 *   npm run catalog:refresh                          # every repo, from https://huggingface.co (or $HF_ENDPOINT)
 *   npm run catalog:refresh -- --only onnx-community/Qwen2.5-0.5B-Instruct --hub https://hf-mirror.example
 *
 * It asks `/api/models/{repo}/revision/main?blobs=true` for the commit and the files (LFS files carry their
 * SHA-256 there); small files that are not in LFS are downloaded at that commit and hashed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CATALOG, onnxFileFor, type PinnedFile } from '../../src/models/catalog.ts';
import type { OnnxDtype } from '../../src/models/estimates.ts';

export const PINS_PATH = fileURLToPath(new URL('../../src/models/catalog-pins.json', import.meta.url));
const NEEDED = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

interface Sibling {
  rfilename: string;
  size?: number;
  lfs?: { sha256: string; size: number };
}

interface RevisionInfo {
  sha: string;
  siblings: Sibling[];
}

export interface RepoPin {
  revision: string;
  files: Record<string, PinnedFile>;
}

export interface RefreshOptions {
  hubUrl: string;
  repos: { repo: string; dtypes: readonly OnnxDtype[] }[];
  token?: string;
  log?: (line: string) => void;
}

/** The files of `repo` Petit needs for `dtypes`: config, tokenizer, and each dtype's ONNX file with its data. */
export function neededFiles(siblings: Sibling[], dtypes: readonly OnnxDtype[]): Sibling[] {
  const onnx = dtypes.map(onnxFileFor);
  return siblings.filter(
    (s) =>
      NEEDED.includes(s.rfilename) ||
      onnx.some((o) => s.rfilename === o || s.rfilename.startsWith(`${o}_data`)),
  );
}

async function getJson<T>(url: string, headers: Record<string, string>): Promise<T> {
  const response = await fetch(url, { headers }).catch((error: unknown) => {
    throw new Error(
      `cannot reach ${new URL(url).origin} (${String(error)}): this script needs network access to the hub`,
    );
  });
  if (!response.ok)
    throw new Error(`${url}: HTTP ${response.status} ${await response.text().catch(() => '')}`.trim());
  return (await response.json()) as T;
}

async function sha256Of(
  url: string,
  headers: Record<string, string>,
): Promise<{ sha256: string; size: number }> {
  const response = await fetch(url, { headers });
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function pinRepo(
  repo: string,
  dtypes: readonly OnnxDtype[],
  { hubUrl, token }: Pick<RefreshOptions, 'hubUrl' | 'token'>,
): Promise<RepoPin> {
  const hub = hubUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const info = await getJson<RevisionInfo>(`${hub}/api/models/${repo}/revision/main?blobs=true`, headers);
  if (!/^[0-9a-f]{40}$/.test(info.sha)) throw new Error(`${repo}: the hub gave no commit hash (${info.sha})`);
  const files: Record<string, PinnedFile> = {};
  for (const sibling of neededFiles(info.siblings, dtypes)) {
    if (sibling.lfs) {
      files[sibling.rfilename] = { size: sibling.lfs.size, sha256: sibling.lfs.sha256 };
    } else {
      // Not in LFS: the API gives a git blob id (SHA-1), so hash the bytes at the pinned commit.
      files[sibling.rfilename] = await sha256Of(
        `${hub}/${repo}/resolve/${info.sha}/${sibling.rfilename}`,
        headers,
      );
    }
  }
  const missing = dtypes.map(onnxFileFor).filter((f) => !files[f]);
  if (missing.length > 0)
    throw new Error(`${repo}@${info.sha}: the catalog lists ${missing.join(', ')}, the repo lacks it`);
  return { revision: info.sha, files };
}

export async function refreshPins(
  options: RefreshOptions,
): Promise<{ pins: Record<string, RepoPin>; failed: string[] }> {
  const pins: Record<string, RepoPin> = {};
  const failed: string[] = [];
  for (const { repo, dtypes } of options.repos) {
    try {
      pins[repo] = await pinRepo(repo, dtypes, options);
      options.log?.(
        `✓ ${repo} @ ${pins[repo].revision.slice(0, 12)} (${Object.keys(pins[repo].files).length} files)`,
      );
    } catch (error) {
      failed.push(repo);
      options.log?.(`✗ ${repo}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { pins, failed };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('npm run catalog:refresh -- [--hub URL] [--only org/name] [--dry-run]');
    return 0;
  }
  const hubUrl = flag(args, '--hub') ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co';
  const only = flag(args, '--only');
  const repos = BUILTIN_CATALOG.flatMap((e) =>
    e.onnx ? [{ repo: e.onnx.repo, dtypes: e.onnx.dtypes }] : [],
  ).filter((r) => !only || r.repo === only);
  if (repos.length === 0) {
    console.error(`No catalog entry has the ONNX repo ${only}.`);
    return 2;
  }
  const { pins, failed } = await refreshPins({
    hubUrl,
    repos,
    token: process.env.HF_TOKEN,
    log: console.log,
  });
  const current = JSON.parse(readFileSync(PINS_PATH, 'utf8')) as { repos: Record<string, RepoPin> };
  const next = { ...current, refreshedAt: new Date().toISOString(), repos: { ...current.repos, ...pins } };
  if (!args.includes('--dry-run')) writeFileSync(PINS_PATH, `${JSON.stringify(next, null, 2)}\n`);
  console.log(
    `${Object.keys(pins).length} pinned, ${failed.length} failed${args.includes('--dry-run') ? ' (dry run)' : ''}`,
  );
  return failed.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

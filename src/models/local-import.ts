import { PetitError } from '../engine/errors.ts';
import { minimalEntry, type CatalogEntry } from './catalog.ts';
import { ONNX_DTYPES, ONNX_FILE_SUFFIX, type OnnxDtype } from './estimates.ts';
import { LOCAL_HUB_URL, hubFileUrl, type ModelStore } from './store.ts';
import { modelIndex } from './store-db.ts';

/**
 * Bring your own model: a transformers.js model folder from disk (file picker or drag and drop) goes into the
 * store under the local pseudo-hub, `https://local.petit.invalid/local/{name}/resolve/main/{path}`, so it loads
 * through exactly the same path as a downloaded model and never touches the network.
 */

export interface LocalFile {
  /** Path inside the model folder, e.g. `onnx/model_q4.onnx`. */
  path: string;
  file: File;
}

export const LOCAL_REVISION = 'main';
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
const OPTIONAL = ['generation_config.json'];

/** Strips the folder's own name, which every path of a picked or dropped folder starts with. */
function normalize(files: { path: string; file: File }[]): { folder: string; files: LocalFile[] } {
  const paths = files.map((f) => f.path.replace(/^\/+/, ''));
  const first = paths[0]?.split('/')[0] ?? '';
  const shared = paths.length > 0 && paths.every((p) => p.startsWith(`${first}/`));
  return {
    folder: shared ? first : 'model',
    files: files.map((f, i) => ({
      path: shared ? paths[i].slice(first.length + 1) : paths[i],
      file: f.file,
    })),
  };
}

/** Files of an `<input type="file" webkitdirectory>`. */
export function filesFromInput(list: FileList | File[]): { folder: string; files: LocalFile[] } {
  return normalize([...list].map((file) => ({ path: file.webkitRelativePath || file.name, file })));
}

async function readDirectory(entry: FileSystemDirectoryEntry, base: string, out: LocalFile[]): Promise<void> {
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return;
    for (const child of batch) {
      const path = `${base}/${child.name}`;
      if (child.isDirectory) await readDirectory(child as FileSystemDirectoryEntry, path, out);
      else {
        const file = await new Promise<File>((resolve, reject) =>
          (child as FileSystemFileEntry).file(resolve, reject),
        );
        out.push({ path, file });
      }
    }
  }
}

/**
 * Files of a folder dropped on the page. Loose files dropped together (no folder) work too: weight files named
 * `model*.onnx*` are put under `onnx/`, where transformers.js looks for them.
 */
export async function filesFromDrop(data: DataTransfer): Promise<{ folder: string; files: LocalFile[] }> {
  const dropped = [...data.items].some((item) => item.webkitGetAsEntry?.()?.isDirectory);
  if (!dropped) {
    return {
      folder: 'dropped-model',
      files: [...data.files].map((file) => ({
        path: /^model.*\.onnx/.test(file.name) ? `onnx/${file.name}` : file.name,
        file,
      })),
    };
  }
  const entries = [...data.items]
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  const out: LocalFile[] = [];
  for (const entry of entries) {
    if (entry.isDirectory) await readDirectory(entry as FileSystemDirectoryEntry, entry.name, out);
    else
      out.push({
        path: entry.name,
        file: await new Promise<File>((r, e) => (entry as FileSystemFileEntry).file(r, e)),
      });
  }
  return normalize(out);
}

export interface FolderInspection {
  name: string;
  dtypes: OnnxDtype[];
  /** The files Petit will store (weights in other formats, READMEs… are left out). */
  files: LocalFile[];
  bytes: number;
}

/** Checks a folder holds a transformers.js model; a clear error says what is missing. */
export async function inspectFolder(folder: string, files: LocalFile[]): Promise<FolderInspection> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const missing = REQUIRED.filter((p) => !byPath.has(p));
  const dtypes = ONNX_DTYPES.filter((d) => byPath.has(`onnx/model${ONNX_FILE_SUFFIX[d]}.onnx`));
  if (missing.length > 0 || dtypes.length === 0) {
    const lacks = [...missing, ...(dtypes.length === 0 ? ['onnx/model*.onnx'] : [])].join(', ');
    throw new PetitError(
      'invalid-model-config',
      `The folder "${folder}" is not a transformers.js model: it lacks ${lacks}. Choose the folder that holds config.json and the onnx/ folder.`,
      { details: { missing: lacks } },
    );
  }
  let config: { model_type?: unknown };
  try {
    config = JSON.parse(await byPath.get('config.json')!.file.text()) as { model_type?: unknown };
  } catch {
    throw new PetitError('invalid-model-config', `config.json in "${folder}" is not valid JSON.`);
  }
  if (typeof config.model_type !== 'string') {
    throw new PetitError('invalid-model-config', `config.json in "${folder}" names no model_type.`);
  }
  const keep = files.filter(
    (f) =>
      REQUIRED.includes(f.path) ||
      OPTIONAL.includes(f.path) ||
      dtypes.some((d) => f.path.startsWith(`onnx/model${ONNX_FILE_SUFFIX[d]}.onnx`)),
  );
  // A name the hub's id rule accepts (src/engine/hub-repo-id.ts): the model is loaded as `local/<name>`.
  const name =
    folder
      .replace(/[^\w.-]+/g, '-')
      .replace(/\.{2,}/g, '.')
      .slice(0, 96)
      .replace(/^[-.]+|[-.]+$/g, '') || 'model';
  return { name, dtypes, files: keep, bytes: keep.reduce((a, f) => a + f.file.size, 0) };
}

export function localEntry(name: string, dtypes: OnnxDtype[]): CatalogEntry {
  return minimalEntry(
    {
      id: `local:${name}`,
      label: `${name} (from disk)`,
      repo: `local/${name}`,
      revision: LOCAL_REVISION,
      dtypes,
      hubUrl: LOCAL_HUB_URL,
      goodFor: 'A model you added from a folder on this device.',
      trainingDataNote: 'Unknown: see where the model came from.',
    },
    'local',
  );
}

/** Copies the model's files into the store and records it; returns its catalog entry. */
export async function importFolder(
  store: ModelStore,
  inspection: FolderInspection,
  onProgress?: (done: number, total: number) => void,
): Promise<CatalogEntry> {
  const repo = `local/${inspection.name}`;
  const url = (path: string) => hubFileUrl(LOCAL_HUB_URL, repo, LOCAL_REVISION, path);
  let done = 0;
  for (const f of inspection.files) {
    const type = f.path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    await store.putFile(url(f.path), f.file, type);
    done += f.file.size;
    onProgress?.(done, inspection.bytes);
  }
  const paths = inspection.files.map((f) => f.path);
  for (const dtype of inspection.dtypes) {
    const own = paths.filter(
      (p) => !p.startsWith('onnx/') || p.startsWith(`onnx/model${ONNX_FILE_SUFFIX[dtype]}.onnx`),
    );
    await store.keep({ hubUrl: LOCAL_HUB_URL, repo, revision: LOCAL_REVISION }, dtype, own.map(url));
  }
  return localEntry(inspection.name, inspection.dtypes);
}

/** Catalog entries of the folders added from disk so far. */
export async function listLocalEntries(): Promise<CatalogEntry[]> {
  const records = await modelIndex.all();
  return records
    .filter((r) => r.source === 'local')
    .map((r) =>
      localEntry(
        r.repo.replace(/^local\//, ''),
        r.dtypes.filter((d): d is OnnxDtype => (ONNX_DTYPES as readonly string[]).includes(d)),
      ),
    );
}

/** Fired on `window` whenever models are added or deleted, so lists refresh. */
export const MODELS_CHANGED_EVENT = 'petit:models-changed';

export function announceModelsChanged(): void {
  globalThis.dispatchEvent?.(new Event(MODELS_CHANGED_EVENT));
}

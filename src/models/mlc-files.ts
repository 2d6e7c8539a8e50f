import { PetitError } from '../engine/errors.ts';
import type { MlcBuild } from './catalog.ts';
import { ensureRoomForFile } from './download-plan.ts';
import type { ProgressTracker } from './load-progress.ts';
import { modelPrefix, withModelLock, type ModelStore } from './store.ts';
import { MLC_REVISION } from './stored.ts';

/** The part of the model store fetchMlcFiles uses. */
export type MlcFileStore = Pick<ModelStore, 'fetchFile' | 'match'> & {
  keep(model: Parameters<ModelStore['keep']>[0], dtype: string, files: string[]): Promise<unknown>;
};

/**
 * Puts every file web-llm reads for an MLC build in the store, in the order web-llm reads them:
 * `mlc-chat-config.json`, the model library (outside the model's prefix, so it is owned by the model: listed and
 * deleted with it), the tokenizer files the config names, `tensor-cache.json`, then each weight shard it lists.
 * Under the model's Web Lock, as for ONNX files, so two tabs download once; the files are then kept in the index.
 * web-llm itself only reads the store afterwards (webllm-store-cache.ts).
 */
export async function fetchMlcFiles(
  store: MlcFileStore,
  build: MlcBuild,
  hubUrl: string,
  libUrl: string,
  tracker: ProgressTracker,
  signal: AbortSignal,
): Promise<void> {
  const prefix = modelPrefix(hubUrl, build.repo, MLC_REVISION);
  const path = (url: string) => (url.startsWith(prefix) ? url.slice(prefix.length) : url.split('/').pop()!);
  await withModelLock(
    prefix,
    async () => {
      tracker.send({ status: 'initiate', files: [] });
      const present: string[] = [];
      const fetchOne = async (url: string) => {
        const file = path(url);
        tracker.send({ status: 'download', file });
        const stored = await store.fetchFile(url, {
          signal,
          onProgress: ({ loaded, total }) => tracker.progress(file, loaded, total),
          beforeBody: (total, resumeFrom) => ensureRoomForFile(url, total, resumeFrom),
          ...(url.startsWith(prefix) ? {} : { owner: prefix }),
        });
        tracker.send({ status: 'done', file, fromCache: stored?.fromCache ?? false });
        present.push(url);
      };
      const readJson = async (url: string): Promise<Record<string, unknown>> => {
        await fetchOne(url);
        try {
          const parsed: unknown = JSON.parse(await (await store.match(url))!.text());
          if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
        } catch {
          // Reported below, as for any other unreadable value.
        }
        throw new PetitError(
          'invalid-model-config',
          `The MLC model's ${path(url)} is not a JSON object. Choose another model or run it with transformers.js.`,
          { details: { url } },
        );
      };
      const config = await readJson(`${prefix}mlc-chat-config.json`);
      await fetchOne(libUrl);
      for (const name of strings(config.tokenizer_files)) await fetchOne(`${prefix}${name}`);
      const tensors = await readJson(`${prefix}tensor-cache.json`);
      const records = Array.isArray(tensors.records) ? (tensors.records as { dataPath?: unknown }[]) : [];
      for (const name of new Set(strings(records.map((r) => r?.dataPath))))
        await fetchOne(`${prefix}${name}`);
      await store.keep({ hubUrl, repo: build.repo, revision: MLC_REVISION }, build.quantization, present);
    },
    { signal },
  );
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

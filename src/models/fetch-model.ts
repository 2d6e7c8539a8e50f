import { PetitError, isPetitError } from '../engine/errors.ts';
import { DTYPE_FILE_SUFFIX, type Dtype } from '../engine/types.ts';
import { overBudget, type MemoryBudget } from './capabilities.ts';
import type { CatalogEntry } from './catalog.ts';
import { externalDataFiles, readModelConfig } from './config-check.ts';
import {
  ensureRoom,
  ensureRoomForFile,
  pinnedFiles,
  planFiles,
  type ModelRequest,
  type PlannedFile,
} from './download-plan.ts';
import { estimatePeakBytes } from './estimates.ts';
import type { ProgressTracker } from './load-progress.ts';
import { finishUpdate } from './model-update.ts';
import { isCommit, pinPlan, pins } from './pins.ts';
import { modelIndex } from './store-db.ts';
import { hubFileUrl, modelPrefix, withModelLock, type ModelStore } from './store.ts';

/** A transformers.js model to put in the store. */
export interface ModelFilesRequest extends ModelRequest {
  dtype: Dtype;
  /** What the tab can count on: weights whose peak exceeds it are refused before their body is downloaded. */
  memoryBudget?: MemoryBudget | null;
}

const WEIGHTS_FILE = /^onnx\/model[^/]*\.onnx(_data(_\d+)?)?$/;

/**
 * Puts every file of the model in the store: pinned sizes and hashes from the catalog `entry` (else the hub's HEAD
 * answer and ETag), a quota check before the first byte, resume of interrupted files, config.json checked before
 * the weights, and a per-model Web Lock so another tab loading the same model waits and then reads the store
 * instead of downloading again. Once it resolves, a backend finds every file complete in the store.
 */
export async function fetchModelFiles(
  store: ModelStore,
  request: ModelFilesRequest,
  entry: CatalogEntry | undefined,
  tracker: ProgressTracker,
  signal: AbortSignal,
): Promise<void> {
  const prefix = modelPrefix(request.hubUrl, request.repo, request.revision);
  await withModelLock(
    prefix,
    async () => {
      const fetchOne = async (file: PlannedFile) => {
        tracker.send({ status: 'download', file: file.path });
        const stored = await store.fetchFile(file.url, {
          signal,
          ...(file.from ? { from: file.from } : {}),
          optional: file.optional,
          expected: file.expected,
          beforeBody: (total, resumeFrom) => {
            if (WEIGHTS_FILE.test(file.path)) ensureMemory(request, total);
            return ensureRoomForFile(file.url, total, resumeFrom);
          },
          onProgress: ({ loaded, total }) => tracker.progress(file.path, loaded, total),
        });
        tracker.send({ status: 'done', file: file.path, fromCache: stored?.fromCache ?? false });
        if (stored && !stored.fromCache && stored.sha256)
          await pins.recordFile(prefix, file.path, { sha256: stored.sha256, size: stored.size });
        return stored;
      };
      await finishUpdate(store, prefix);
      // A model kept before is read from its recorded file list: no request at all, not even for optional files.
      const kept = (await modelIndex.get(prefix))?.files[request.dtype];
      if (kept && (await Promise.all(kept.map((url) => store.has(url)))).every(Boolean)) {
        const files = kept.map((url) => url.slice(prefix.length));
        tracker.send({ status: 'initiate', files });
        for (const [i, url] of kept.entries()) {
          const { bytes } = await store.storedBytes(url);
          tracker.expect(files[i], bytes);
          tracker.progress(files[i], bytes, bytes);
          tracker.send({ status: 'done', file: files[i], fromCache: true });
        }
        await store.keep(request, request.dtype, kept);
        return;
      }
      // Pinned at an earlier download: every file (resumes included) comes from that commit.
      let pin = await pins.get(prefix);
      let plan = pinPlan(planFiles(request, pinnedFiles(entry, request), entry), pin, request);
      for (const file of plan)
        if (file.expected.size !== undefined) tracker.expect(file.path, file.expected.size);
      tracker.send({ status: 'initiate', files: plan.map((f) => f.path) });
      // Pinned sizes tell before any request; otherwise the weights' headers do (beforeBody above).
      for (const file of plan) if (WEIGHTS_FILE.test(file.path)) ensureMemory(request, file.size ?? 0);
      await ensureRoom(store, plan);

      const configStored = await fetchOne(plan[0]);
      // The first download pins the commit config.json came from: the rest is fetched from it, not from `main`.
      const commit = isCommit(request.revision) ? request.revision : configStored?.commit;
      if (!pin && commit && !configStored?.fromCache) {
        pin = await pins.pin(prefix, commit);
        await pins.recordFile(prefix, plan[0].path, {
          sha256: configStored!.sha256!,
          size: configStored!.size,
        });
        plan = pinPlan(plan, pin, request);
      }
      const [configFile, ...rest] = plan;
      const config = await readModelConfig(store, configFile.url);
      const onnxFile = `onnx/model${DTYPE_FILE_SUFFIX[request.dtype]}.onnx`;
      const planned = new Set(plan.map((f) => f.path));
      const extra = pinPlan(
        externalDataFiles(config, onnxFile)
          .filter((path) => !planned.has(path))
          .map((path) => ({
            path,
            url: hubFileUrl(request.hubUrl, request.repo, request.revision, path),
            optional: false,
            expected: {},
            size: null,
          })),
        pin,
        request,
      );
      const present = [configFile.url];
      try {
        for (const file of [...rest, ...extra]) if (await fetchOne(file)) present.push(file.url);
      } catch (error) {
        // A model that cannot fit leaves nothing behind (the small files fetched before its weights included).
        if (isPetitError(error, 'storage-quota') || isPetitError(error, 'model-too-large'))
          await store.discardIncomplete(prefix, { locked: true });
        throw error;
      }
      await store.keep(request, request.dtype, present);
    },
    { signal },
  );
}

/**
 * Refuses weights whose measured peak (estimates.ts) exceeds what the tab can count on, before their body is
 * downloaded: the tab would otherwise die mid-load, as Safari on iOS does above about 1.5 GB.
 */
function ensureMemory(request: ModelFilesRequest, weightBytes: number): void {
  const budget = request.memoryBudget;
  if (!budget || weightBytes <= 0) return;
  const peak = estimatePeakBytes(weightBytes, request.dtype);
  if (peak <= budget.bytes) return;
  throw new PetitError(
    'model-too-large',
    `This model ${overBudget(peak, budget)}. Choose a smaller model or precision.`,
    { details: { peakBytes: peak, budgetBytes: budget.bytes } },
  );
}

/**
 * Removes a model the runtime could not read, index record included, so a retry downloads it afresh: from the
 * commit it is pinned to, which is kept.
 */
export async function discardModel(
  store: ModelStore,
  model: { hubUrl: string; repo: string; revision: string },
): Promise<void> {
  await store.deleteModel(modelPrefix(model.hubUrl, model.repo, model.revision), { keepPin: true });
}

import { currentMemoryBudget } from '../models/capabilities.ts';
import { defaultDtype, resolveDevice } from '../models/device-choice.ts';
import { PetitError } from './errors.ts';
import { isHubRepoId } from './hub-repo-id.ts';
import type { ModelSpec } from './types.ts';
import type { WorkerLoadRequest } from './worker-protocol.ts';

/** A catalog id or a spec, as one plain spec whose id is a hub repository id; anything else is `unknown-model`. */
export function resolveModelSpec(
  model: string | ModelSpec,
  resolveModel: ((id: string) => ModelSpec | undefined) | undefined,
): ModelSpec {
  let spec: ModelSpec | null = null;
  let id: unknown;
  try {
    const found: unknown = typeof model === 'string' ? (resolveModel?.(model) ?? { id: model }) : model;
    if (typeof found === 'object' && found !== null) {
      // One plain copy, read once: a getter may answer differently (or throw) the second time.
      spec = { ...(found as ModelSpec) };
      id = spec.id;
    }
  } catch {
    spec = null;
  }
  if (!spec || typeof id !== 'string' || !isHubRepoId(id)) {
    const shown = typeof model === 'string' ? model : typeof id === 'string' ? id : String(typeof model);
    throw new PetitError(
      'unknown-model',
      `"${shown.slice(0, 80)}${shown.length > 80 ? '…' : ''}" is not a model Petit knows. Use a catalog id or a hub repository id such as "HuggingFaceTB/SmolLM2-135M-Instruct" (owner/name, each up to 96 letters, digits, "_", "-" or ".").`,
      { details: { field: 'id' } },
    );
  }
  return spec;
}

/** What the worker is asked to load for a validated spec, with the device and dtype defaults applied. */
export function toLoadRequest(spec: ModelSpec, hasWebGpu: boolean, hubUrl: string): WorkerLoadRequest {
  const device = resolveDevice(spec.device ?? 'auto', hasWebGpu);
  return {
    repo: spec.id,
    revision: spec.revision ?? 'main',
    hubUrl: spec.hubUrl ?? hubUrl,
    dtype: spec.dtype ?? defaultDtype(device),
    device,
    ...(spec.backend ? { backend: spec.backend } : {}),
    ...(spec.kvCache === false ? { kvCache: false } : {}),
    // Read on the page: the worker sees neither the page's localStorage (where an earlier out-of-memory failure
    // is remembered) nor anything the page overrides.
    memoryBudget: currentMemoryBudget(),
  };
}

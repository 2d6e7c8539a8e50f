/**
 * How a load runs: device, dtype, backend (and MLC build), WASM threads. The one place these are decided; the
 * engine resolves the device and dtype on the page with `resolveDevice`/`defaultDtype` (device-choice.ts, kept
 * apart so the library's page bundle does not carry the catalog), the worker the rest with
 * `chooseLoadRuntime`, which reads the capabilities probed once (capabilities.ts).
 */
import { PetitError } from '../engine/errors.ts';
import type { BackendPreference, Device, Dtype } from '../engine/types.ts';
import { probeCapabilities, wasmThreads, type Capabilities } from './capabilities.ts';
import type { CatalogEntry, MlcBuild } from './catalog.ts';
import { chooseRuntime } from './chooser.ts';
import { defaultDtype, resolveDevice } from './device-choice.ts';

export { defaultDtype, resolveDevice };

export interface RuntimeWanted {
  device: Device | 'auto';
  dtype?: Dtype;
  /** `auto` or absent: web-llm for a catalog model with an MLC build that fits a capable GPU, else transformers.js. */
  backend?: BackendPreference;
}

export type RuntimePick =
  | { backend: 'webllm'; device: 'webgpu'; build: MlcBuild; threads: 0 }
  | { backend: 'transformers'; device: Device; dtype: Dtype; threads: number };

const PREFERENCES: readonly BackendPreference[] = ['auto', 'webllm', 'transformers'];

/** The MLC build the chooser picks for `entry` here (shader-f16 and memory respected), or null. */
export function pickMlcBuild(entry: CatalogEntry | undefined, caps: Capabilities): MlcBuild | null {
  if (!entry || entry.mlc.length === 0 || !caps.webgpu) return null;
  const choice = chooseRuntime(entry, caps, { backends: ['webllm'] });
  if (!choice.ok || choice.backend !== 'webllm') return null;
  return entry.mlc.find((b) => b.modelId === choice.modelId) ?? null;
}

/** The runtime for `wanted` on a device with `caps`; a request that cannot run here is a typed error. */
export function pickRuntime(
  wanted: RuntimeWanted,
  caps: Capabilities,
  entry: CatalogEntry | undefined,
): RuntimePick {
  const preference = wanted.backend ?? 'auto';
  if (!PREFERENCES.includes(preference)) {
    throw new PetitError(
      'invalid-request',
      `\`backend\` must be auto, webllm or transformers; got ${JSON.stringify(preference)}.`,
      { details: { field: 'backend' } },
    );
  }
  const device = resolveDevice(wanted.device, caps.webgpu !== null);
  if (device === 'webgpu' && !caps.webgpu) {
    throw new PetitError('webgpu-unavailable', 'This browser offers no WebGPU adapter.', {
      details: { device: 'webgpu' },
    });
  }
  if (preference !== 'transformers' && device === 'webgpu') {
    const build = pickMlcBuild(entry, caps);
    if (build) return { backend: 'webllm', device, build, threads: 0 };
    if (preference === 'webllm') {
      throw new PetitError(
        'backend-unavailable',
        entry?.mlc.length
          ? 'web-llm cannot run this model here: it needs a WebGPU adapter (and shader-f16 for 16-bit builds) with enough memory. Choose automatic in Settings → Runtime.'
          : 'This model has no web-llm (MLC) build. Choose automatic or transformers.js in Settings → Runtime.',
      );
    }
  }
  const dtype = wanted.dtype ?? defaultDtype(device);
  return { backend: 'transformers', device, dtype, threads: device === 'wasm' ? wasmThreads(caps) : 1 };
}

/** `pickRuntime` on this device's capabilities, probed on the first call only. */
export async function chooseLoadRuntime(
  wanted: RuntimeWanted,
  entry: CatalogEntry | undefined,
): Promise<RuntimePick> {
  return pickRuntime(wanted, await probeCapabilities(), entry);
}

import type { BackendName, Device, Dtype } from '../engine/types.ts';
import { memoryBudget, overBudget, type Capabilities } from './capabilities.ts';
import {
  handlesLanguage,
  onnxFileFor,
  type CatalogEntry,
  type MlcBuild,
  type MlcQuantization,
} from './catalog.ts';
import {
  estimateLargestTensorBytes,
  estimatePeakBytes,
  estimateRuntimeBytes,
  estimateTokenizerBytes,
  estimateWeightBytes,
  type OnnxDtype,
} from './estimates.ts';
import { formatSize } from './format-size.ts';
import type { ChoiceMessage, Shortfall } from './choice-messages.ts';
import { DTYPE_LABELS, describe, optionOf, what, type Candidate } from './choice-describe.ts';

export type { ChoiceMessage, RuntimeOption, Shortfall } from './choice-messages.ts';
export { DTYPE_LABELS };

/**
 * Chooses how a catalog entry runs on this device — backend, device, dtype — or says plainly why it cannot.
 * Plain data in, plain data out: the tables below are the policy, `chooseRuntime` only applies them.
 */

/** Dtypes to try per device, best first (DESIGN.md: MatMulNBits q4 is ~10× slower than q8 on WASM; fp16 needs
 * shader-f16 on WebGPU; q8's MatMulInteger has no WebGPU kernel and falls back to the CPU). */
export const DTYPE_ORDER = {
  webgpuF16: ['q4f16', 'q4', 'fp16', 'fp32', 'q8'],
  webgpu: ['q4', 'fp32', 'q8'],
  wasm: ['q8', 'fp32', 'q4', 'fp16'],
} as const satisfies Record<string, readonly OnnxDtype[]>;

/** MLC builds to try on a GPU, best first. */
export const MLC_ORDER = {
  f16: ['q4f16_1', 'q4f32_1', 'q0f16', 'q0f32'],
  noF16: ['q4f32_1', 'q0f32'],
} as const satisfies Record<string, readonly MlcQuantization[]>;

export const LIMITS = {
  /** wasm32: ONNX Runtime's heap cannot grow past 4 GiB. */
  wasmMaxBytes: 4 * 2 ** 30,
} as const;

/** Backends whose implementation exists. web-llm joins when its backend lands (issue 5). */
export const DEFAULT_BACKENDS: readonly BackendName[] = ['transformers'];

/** Dtypes the engine can load today (`src/engine/types.ts` DTYPES). */
const ENGINE_DTYPES: readonly OnnxDtype[] = ['fp32', 'fp16', 'q8', 'q4'];

export interface ChoicePreferences {
  backends?: readonly BackendName[];
  device?: Device;
  dtype?: Dtype;
  /** Bytes of each dtype already in the store (complete or partial), which need no new space. */
  storedBytes?: Partial<Record<OnnxDtype, number>>;
}

interface ChoiceBase {
  ok: true;
  device: Device;
  /** One sentence for the UI: what runs and why. */
  reason: string;
  message: ChoiceMessage;
  /** Further facts worth showing (fewer threads, a smaller dtype than the best, revision not pinned). */
  notes: string[];
  /** `notes` as codes, in the same order. */
  noteMessages: ChoiceMessage[];
  downloadBytes: number;
  memoryBytes: number;
}

export type RuntimeChoice =
  | (ChoiceBase & { backend: 'transformers'; dtype: Dtype })
  | (ChoiceBase & { backend: 'webllm'; device: 'webgpu'; modelId: string; quantization: MlcQuantization });

export type ChoiceFailureCode =
  'no-browser-build' | 'model-too-large' | 'storage-quota' | 'unsupported-dtype';

export interface ChoiceFailure {
  ok: false;
  code: ChoiceFailureCode;
  reason: string;
  message: ChoiceMessage;
}

export type ChoiceResult = RuntimeChoice | ChoiceFailure;

interface Failure {
  code: ChoiceFailureCode;
  reason: string;
  shortfall: Shortfall;
  memoryBytes: number;
}

/** Bytes of an ONNX dtype's download: exact when the catalog pins the files, else estimated. */
export function downloadBytesFor(entry: CatalogEntry, dtype: OnnxDtype): { total: number; largest: number } {
  const files = entry.onnx?.files ?? {};
  const onnx = onnxFileFor(dtype);
  const pinned = Object.entries(files);
  if (pinned.length > 0 && files[onnx]) {
    const own = pinned.filter(([path]) => !path.startsWith('onnx/') || path.startsWith(`${onnx}`));
    const sizes = own.map(([, f]) => f.size);
    return { total: sizes.reduce((a, b) => a + b, 0), largest: Math.max(...sizes) };
  }
  // A model known only by its repository: its size is unknown until the hub is asked (the worker does).
  if (entry.paramCount === 0) return { total: 0, largest: 0 };
  const weights = estimateWeightBytes(entry.paramCount, entry.architecture, dtype);
  return { total: weights + estimateTokenizerBytes(entry.architecture), largest: weights };
}

function onnxCandidate(entry: CatalogEntry, device: Device, dtype: OnnxDtype): Candidate {
  const { total, largest } = downloadBytesFor(entry, dtype);
  const weights = largest;
  return {
    backend: 'transformers',
    device,
    dtype,
    mlc: null,
    downloadBytes: total,
    largestFileBytes: largest,
    memoryBytes:
      entry.paramCount === 0
        ? 0
        : estimateRuntimeBytes(entry.paramCount, entry.architecture, dtype, entry.contextLength, weights),
    // On WASM a q4 file runs as its q8 rewrite; the factor measured for q4 includes that.
    peakBytes: estimatePeakBytes(weights, dtype),
    largestTensorBytes: estimateLargestTensorBytes(entry.architecture, dtype),
  };
}

const MLC_WEIGHT_BYTES: Record<MlcQuantization, number> = { q4f16_1: 0.56, q4f32_1: 0.6, q0f16: 2, q0f32: 4 };

function mlcCandidate(entry: CatalogEntry, build: MlcBuild): Candidate {
  const weights = entry.paramCount * MLC_WEIGHT_BYTES[build.quantization];
  return {
    backend: 'webllm',
    device: 'webgpu',
    dtype: null,
    mlc: build,
    downloadBytes: weights,
    largestFileBytes: 64e6,
    memoryBytes: build.vramMB * 1e6,
    peakBytes: build.vramMB * 1e6,
    largestTensorBytes: 0,
  };
}

function candidates(entry: CatalogEntry, caps: Capabilities, prefs: ChoicePreferences): Candidate[] {
  const backends = prefs.backends ?? DEFAULT_BACKENDS;
  const out: Candidate[] = [];
  const gpu = caps.webgpu;
  if (gpu && prefs.device !== 'wasm' && backends.includes('webllm') && !prefs.dtype) {
    const order: readonly MlcQuantization[] = gpu.shaderF16 ? MLC_ORDER.f16 : MLC_ORDER.noF16;
    for (const q of order) {
      const build = entry.mlc.find((b) => b.quantization === q && !b.modelId.endsWith('-1k'));
      if (build) out.push(mlcCandidate(entry, build));
    }
  }
  if (!entry.onnx || !backends.includes('transformers')) return out;
  const have = entry.onnx.dtypes.filter((d) => ENGINE_DTYPES.includes(d));
  const pick = (order: readonly OnnxDtype[]) =>
    order.filter((d) => have.includes(d) && (!prefs.dtype || prefs.dtype === d));
  if (gpu && prefs.device !== 'wasm') {
    for (const d of pick(gpu.shaderF16 ? DTYPE_ORDER.webgpuF16 : DTYPE_ORDER.webgpu))
      out.push(onnxCandidate(entry, 'webgpu', d));
  }
  if (prefs.device !== 'webgpu') {
    for (const d of pick(DTYPE_ORDER.wasm)) out.push(onnxCandidate(entry, 'wasm', d));
  }
  return out;
}

/** The first constraint a candidate breaks, or null when it fits. */
function check(c: Candidate, caps: Capabilities, prefs: ChoicePreferences): Failure | null {
  const fail = (code: ChoiceFailureCode, reason: string, shortfall: Shortfall): Failure => ({
    code,
    reason,
    shortfall,
    memoryBytes: Math.max(c.memoryBytes, c.peakBytes),
  });
  if (c.mlc) {
    // web-llm's weights live in GPU memory, which the tab's share of system memory does not bound.
    if (caps.deviceMemoryGB !== null && c.memoryBytes > caps.deviceMemoryGB * 1e9) {
      return fail(
        'model-too-large',
        `needs ${formatSize(c.memoryBytes)} of GPU memory; this device reports ${caps.deviceMemoryGB} GB`,
        { kind: 'gpu-memory', needsBytes: c.memoryBytes, deviceMemoryGB: caps.deviceMemoryGB },
      );
    }
  } else {
    const budget =
      caps.memoryBudget !== undefined ? caps.memoryBudget : memoryBudget(caps.deviceMemoryGB, '', null);
    const needs = Math.max(c.memoryBytes, c.peakBytes);
    if (budget && needs > budget.bytes) {
      return fail('model-too-large', overBudget(needs, budget), {
        kind: 'memory-budget',
        needsBytes: needs,
        budget,
      });
    }
  }
  if (c.device === 'wasm' && c.memoryBytes > LIMITS.wasmMaxBytes) {
    return fail(
      'model-too-large',
      `needs ${formatSize(c.memoryBytes)} of memory on WASM, which can address at most ${LIMITS.wasmMaxBytes / 2 ** 30} GiB`,
      { kind: 'wasm-address-space', needsBytes: c.memoryBytes, maxBytes: LIMITS.wasmMaxBytes },
    );
  }
  if (c.device === 'webgpu' && caps.webgpu && c.largestTensorBytes > 0) {
    const limit = Math.min(caps.webgpu.maxBufferSize, caps.webgpu.maxStorageBufferBindingSize);
    if (c.largestTensorBytes > limit) {
      return fail(
        'model-too-large',
        `its largest weight (${formatSize(c.largestTensorBytes)}) exceeds the largest GPU buffer this device allows (${formatSize(limit)})`,
        { kind: 'gpu-buffer', tensorBytes: c.largestTensorBytes, limitBytes: limit },
      );
    }
  }
  const { quota, usage } = caps.storage;
  if (quota !== null && usage !== null) {
    const stored = c.dtype ? (prefs.storedBytes?.[c.dtype] ?? 0) : 0;
    const remaining = Math.max(0, c.downloadBytes - stored);
    const needed = remaining > 0 ? remaining + Math.min(c.largestFileBytes, remaining) : 0;
    const free = Math.max(0, quota - usage);
    if (needed > free) {
      return fail(
        'storage-quota',
        `needs ${formatSize(needed)} of storage; this browser allows ${formatSize(free)} more`,
        { kind: 'storage', needsBytes: needed, freeBytes: free },
      );
    }
  }
  return null;
}

/**
 * The backend, device and dtype for `entry` on a device with `caps`, or why it cannot run there. Candidates are
 * tried best first; the first that fits memory, WASM's address space, the GPU's buffer limit and the storage left
 * wins. When none fits, the reason is the one of the smallest candidate: if that does not fit, nothing will.
 */
export function chooseRuntime(
  entry: CatalogEntry,
  caps: Capabilities,
  prefs: ChoicePreferences = {},
): ChoiceResult {
  if (entry.noBrowserBuild)
    return {
      ok: false,
      code: 'no-browser-build',
      reason: entry.noBrowserBuild,
      message: { code: 'no-browser-build' },
    };
  const list = candidates(entry, caps, prefs);
  if (list.length === 0) {
    if (entry.onnx && entry.onnx.dtypes.length > 0 && entry.dtypes.length === 0) {
      const has = entry.onnx.dtypes.map((d) => DTYPE_LABELS[d]).join(', ');
      const mlcNote =
        entry.mlc.length > 0 ? ' Its web-llm build needs the web-llm backend, which is not enabled.' : '';
      return {
        ok: false,
        code: 'unsupported-dtype',
        reason: `Its browser build comes only as ${has}, which this version of Petit cannot run yet.${mlcNote}`,
        message: {
          code: 'only-unsupported-dtypes',
          dtypes: [...entry.onnx.dtypes],
          hasMlc: entry.mlc.length > 0,
        },
      };
    }
    if (!entry.onnx && entry.mlc.length > 0) {
      const needs = caps.webgpu
        ? 'the web-llm backend, which is not enabled yet'
        : 'WebGPU, which this browser lacks';
      return {
        ok: false,
        code: 'unsupported-dtype',
        reason: `Only a web-llm (MLC) build exists; it needs ${needs}.`,
        message: { code: 'mlc-only', webgpu: caps.webgpu !== null },
      };
    }
    const wanted = [prefs.dtype && DTYPE_LABELS[prefs.dtype], prefs.device].filter(Boolean).join(' on ');
    return {
      ok: false,
      code: 'unsupported-dtype',
      reason: wanted ? `This model has no ${wanted} build.` : 'This model has no build this device can run.',
      message: { code: 'no-such-build', dtype: prefs.dtype ?? null, device: prefs.device ?? null },
    };
  }
  const failures: { candidate: Candidate; failure: Failure }[] = [];
  for (const [i, c] of list.entries()) {
    const failure = check(c, caps, prefs);
    if (failure) {
      failures.push({ candidate: c, failure });
      continue;
    }
    const { reason, message, notes, noteMessages } = describe(c, caps, i === 0);
    for (const { candidate, failure: f } of failures.slice(0, 2)) {
      notes.push(`${what(candidate)} ${f.reason}.`);
      noteMessages.push({ code: 'option-does-not-fit', option: optionOf(candidate), shortfall: f.shortfall });
    }
    if (!entry.pinned && entry.source !== 'local') {
      notes.push('Revision not pinned yet: downloads `main` and checks each file against the hub’s SHA-256.');
      noteMessages.push({ code: 'not-pinned' });
    }
    const base = {
      ok: true as const,
      reason,
      message,
      notes,
      noteMessages,
      downloadBytes: c.downloadBytes,
      memoryBytes: Math.max(c.memoryBytes, c.peakBytes),
    };
    if (c.mlc) {
      return {
        ...base,
        backend: 'webllm',
        device: 'webgpu',
        modelId: c.mlc.modelId,
        quantization: c.mlc.quantization,
      };
    }
    return { ...base, backend: 'transformers', device: c.device, dtype: c.dtype as Dtype };
  }
  const closest = failures.reduce((a, b) => (b.failure.memoryBytes < a.failure.memoryBytes ? b : a));
  // memoryBytes on a failure is what the check compared: the larger of the estimate and the measured peak.
  const reason = closest.failure.reason;
  return {
    ok: false,
    code: closest.failure.code,
    reason: `${reason[0].toUpperCase()}${reason.slice(1)} (${what(closest.candidate)}, the smallest option).`,
    message: {
      code: 'smallest-does-not-fit',
      option: optionOf(closest.candidate),
      shortfall: closest.failure.shortfall,
    },
  };
}

/**
 * The catalog model that needs the most memory among those that fit this device: what to suggest when the one
 * asked for is too large. With `language` (a conversation's), a model whose makers list it wins over a larger one
 * that they do not. Null when none fits.
 */
export function largestThatFits(
  entries: readonly CatalogEntry[],
  caps: Capabilities,
  prefs: ChoicePreferences = {},
  language?: string,
): { entry: CatalogEntry; choice: RuntimeChoice } | null {
  let best: { entry: CatalogEntry; choice: RuntimeChoice } | null = null;
  const speaks = (e: CatalogEntry) => (language ? handlesLanguage(e, language) === true : false);
  for (const entry of entries) {
    if (entry.paramCount === 0) continue;
    const choice = chooseRuntime(entry, caps, prefs);
    if (!choice.ok) continue;
    const better =
      !best ||
      (speaks(entry) && !speaks(best.entry)) ||
      (speaks(entry) === speaks(best.entry) && entry.paramCount > best.entry.paramCount);
    if (better) best = { entry, choice };
  }
  return best;
}

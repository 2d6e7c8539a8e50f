/**
 * The chooser's sentences as codes with their facts, beside the English it also returns: a library user reads
 * `reason` and `notes`, an app that speaks other languages words `message` and `noteMessages` itself (Petit's
 * app does, in src/app/models/choice-text.ts). Sizes are bytes, for the app to format.
 */
import type { Device } from '../engine/types.ts';
import type { MemoryBudget } from './capabilities.ts';
import type { MlcQuantization } from './catalog.ts';
import type { OnnxDtype } from './estimates.ts';

/** One way to run a model: a web-llm build, or an ONNX dtype on a device. */
export type RuntimeOption =
  | { backend: 'webllm'; quantization: MlcQuantization }
  | { backend: 'transformers'; dtype: OnnxDtype; device: Device };

/** Why an option does not fit this device. */
export type Shortfall =
  | { kind: 'gpu-memory'; needsBytes: number; deviceMemoryGB: number }
  | { kind: 'memory-budget'; needsBytes: number; budget: MemoryBudget }
  | { kind: 'wasm-address-space'; needsBytes: number; maxBytes: number }
  | { kind: 'gpu-buffer'; tensorBytes: number; limitBytes: number }
  | { kind: 'storage'; needsBytes: number; freeBytes: number };

export type ChoiceMessage =
  // What runs and why.
  | { code: 'webllm'; adapter: string | null; quantization: MlcQuantization }
  | { code: 'webgpu'; dtype: OnnxDtype; adapter: string | null }
  | { code: 'wasm'; dtype: OnnxDtype; threads: number; webgpu: boolean }
  // Notes.
  | { code: 'no-shader-f16' }
  | { code: 'software-adapter' }
  | { code: 'single-thread' }
  | { code: 'faster-does-not-fit' }
  | { code: 'not-pinned' }
  | { code: 'option-does-not-fit'; option: RuntimeOption; shortfall: Shortfall }
  // Why it cannot run.
  | { code: 'no-browser-build' }
  | { code: 'only-unsupported-dtypes'; dtypes: OnnxDtype[]; hasMlc: boolean }
  | { code: 'mlc-only'; webgpu: boolean }
  | { code: 'no-such-build'; dtype: OnnxDtype | null; device: Device | null }
  | { code: 'smallest-does-not-fit'; option: RuntimeOption; shortfall: Shortfall };

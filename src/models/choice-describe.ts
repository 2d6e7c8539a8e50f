/** How the chooser says what it picked: the English sentence and notes, and the same as codes (choice-messages.ts). */
import type { BackendName, Device } from '../engine/types.ts';
import { wasmThreads, type Capabilities } from './capabilities.ts';
import type { MlcBuild } from './catalog.ts';
import type { ChoiceMessage, RuntimeOption } from './choice-messages.ts';
import type { OnnxDtype } from './estimates.ts';

export const DTYPE_LABELS = {
  fp32: '32-bit',
  fp16: '16-bit',
  q8: '8-bit',
  q4: '4-bit',
  q4f16: '4-bit (f16)',
} as const satisfies Record<OnnxDtype, string>;

/** One way to run the model, with what it costs. */
export interface Candidate {
  backend: BackendName;
  device: Device;
  dtype: OnnxDtype | null;
  mlc: MlcBuild | null;
  downloadBytes: number;
  /** The largest single file: committing it briefly stores it twice. */
  largestFileBytes: number;
  memoryBytes: number;
  /** What the model adds to the tab at its peak, from the bench's measured factor; 0 when unknown. */
  peakBytes: number;
  largestTensorBytes: number;
}

export function what(c: Candidate): string {
  if (c.mlc) return `${c.mlc.quantization} on web-llm`;
  return `${DTYPE_LABELS[c.dtype!]} on ${c.device === 'webgpu' ? 'WebGPU' : 'WASM'}`;
}

export function optionOf(c: Candidate): RuntimeOption {
  return c.mlc
    ? { backend: 'webllm', quantization: c.mlc.quantization }
    : { backend: 'transformers', dtype: c.dtype!, device: c.device };
}

export interface Described {
  reason: string;
  message: ChoiceMessage;
  notes: string[];
  noteMessages: ChoiceMessage[];
}

export function describe(c: Candidate, caps: Capabilities, first: boolean): Described {
  const notes: string[] = [];
  const noteMessages: ChoiceMessage[] = [];
  const note = (text: string, message: ChoiceMessage) => {
    notes.push(text);
    noteMessages.push(message);
  };
  const adapter = caps.webgpu?.adapter ?? null;
  if (c.mlc) {
    return {
      reason: `web-llm on WebGPU (${adapter ?? 'GPU'}): MLC-compiled ${c.mlc.quantization} kernels are the fastest in a browser.`,
      message: { code: 'webllm', adapter, quantization: c.mlc.quantization },
      notes,
      noteMessages,
    };
  }
  const dtype = c.dtype!;
  const label = DTYPE_LABELS[dtype];
  if (c.device === 'webgpu') {
    const why =
      dtype === 'q4' || dtype === 'q4f16'
        ? '4-bit weights are the smallest and fastest on a GPU'
        : `${label} weights`;
    if (!caps.webgpu?.shaderF16)
      note('The GPU lacks shader-f16, so 16-bit kernels are not used.', { code: 'no-shader-f16' });
    if (caps.webgpu?.isFallback)
      note('The GPU is a software adapter: correct, but slower than WASM.', { code: 'software-adapter' });
    return {
      reason: `${label} on WebGPU (${adapter ?? 'GPU'}): ${why}.`,
      message: { code: 'webgpu', dtype, adapter },
      notes,
      noteMessages,
    };
  }
  const threads = wasmThreads(caps);
  const where = caps.webgpu ? 'WASM' : 'WASM (no WebGPU adapter)';
  const why =
    dtype === 'q8'
      ? '8-bit is the fastest format on a CPU'
      : dtype === 'fp32'
        ? 'there is no 8-bit file; 32-bit runs faster than 4-bit on a CPU'
        : `${label} is the format this model has that fits`;
  if (!caps.crossOriginIsolated)
    note('This page is not cross-origin isolated, so WASM runs on one thread.', { code: 'single-thread' });
  if (!first) note('A faster choice does not fit this device (see below).', { code: 'faster-does-not-fit' });
  return {
    reason: `${label} on ${where}, ${threads} thread${threads === 1 ? '' : 's'}: ${why}.`,
    message: { code: 'wasm', dtype, threads, webgpu: caps.webgpu !== null },
    notes,
    noteMessages,
  };
}

import type { Device, Dtype } from '../engine/types.ts';

/** `auto` (or nothing asked) is WebGPU when the device has an adapter, else WASM. */
export function resolveDevice(wanted: Device | 'auto' | undefined, hasWebGpu: boolean): Device {
  return !wanted || wanted === 'auto' ? (hasWebGpu ? 'webgpu' : 'wasm') : wanted;
}

/** 4-bit is the smallest and fastest on a GPU; 8-bit is the fastest on a CPU (chooser.ts DTYPE_ORDER). */
export function defaultDtype(device: Device): Dtype {
  return device === 'webgpu' ? 'q4' : 'q8';
}

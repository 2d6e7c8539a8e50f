/**
 * What this device offers for running models, probed once into a frozen object (DESIGN.md convention 7). Runs on
 * a page or in a worker. Storage is the one part that changes while the app runs: `probeStorage()` reads it afresh.
 */
import { formatSize } from './format-size.ts';

export interface GpuCapability {
  /** Vendor, architecture and description, as the adapter reports them. */
  adapter: string;
  /** A software adapter (SwiftShader): correct but slow. */
  isFallback: boolean;
  shaderF16: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface StorageCapability {
  /** Bytes the browser lets this origin use in all, or null when it does not say. */
  quota: number | null;
  usage: number | null;
  /** Whether the browser promised not to evict this origin's data; null where the API is missing. */
  persisted: boolean | null;
}

export interface Capabilities {
  /** null: no WebGPU adapter. */
  webgpu: GpuCapability | null;
  /** `navigator.deviceMemory` in GB (Chromium rounds down to a power of two and caps at 8); null elsewhere. */
  deviceMemoryGB: number | null;
  cores: number;
  /** What one tab can hold at most (see `memoryBudget`), and why; null when nothing is known. Absent: derived
   * from `deviceMemoryGB` alone. */
  memoryBudget?: MemoryBudget | null;
  /** Multi-threaded WASM needs it (SharedArrayBuffer). */
  crossOriginIsolated: boolean;
  storage: StorageCapability;
}

export interface MemoryBudget {
  bytes: number;
  /** Why, in words: "this device reports 4 GB", "Safari on iOS closes tabs above about 1.5 GB", … */
  reason: string;
  /** The same reason as a code, for an app that words it in its own language. */
  kind: 'device-memory' | 'ios-safari' | 'failed-before';
  /** With `device-memory`: what the device reports. */
  deviceMemoryGB?: number;
}

/** A tab rarely gets more than half of the device's memory: the system and the browser keep the rest. */
const TAB_SHARE_OF_DEVICE = 0.5;
/** Safari on iOS kills a tab above about 1.5 GB, whatever the device (web-llm issue 753). */
const IOS_SAFARI_TAB_BYTES = 1.5e9;
const DEVICE_MEMORY_CAP_GB = 8;
/** Where the page remembers the size of a model whose load ran out of memory on this device. */
const CEILING_KEY = 'petit:memory-ceiling';

function isIosSafari(userAgent: string): boolean {
  return /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && /Mobile\//.test(userAgent));
}

/** The part of localStorage used here: pages have it, workers (and this file's worker typing) do not. */
interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function localStore(): KeyValueStore | undefined {
  return (globalThis as { localStorage?: KeyValueStore }).localStorage;
}

function readCeiling(): number | null {
  try {
    const value = Number(localStore()?.getItem(CEILING_KEY));
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/**
 * Remembers that a model needing about `peakBytes` ran out of memory here, so that models at least that large
 * are refused before their download next time. Pages only (workers have no localStorage); a no-op elsewhere.
 */
export function recordOutOfMemory(peakBytes: number): void {
  try {
    const ceiling = Math.round(peakBytes * 0.9);
    const known = readCeiling();
    if (known === null || ceiling < known) localStore()?.setItem(CEILING_KEY, String(ceiling));
  } catch {
    // Storage refused (private mode): the next load may fail the same way, nothing worse.
  }
}

/** The smallest of what the device says, what its browser is known to allow, and what failed here before. */
export function memoryBudget(
  deviceMemoryGB: number | null,
  userAgent: string,
  ceiling: number | null = readCeiling(),
): MemoryBudget | null {
  const limits: MemoryBudget[] = [];
  // Chromium reports at most 8: 8 means "8 GB or more", which sets no useful limit.
  if (deviceMemoryGB !== null && deviceMemoryGB > 0 && deviceMemoryGB < DEVICE_MEMORY_CAP_GB) {
    limits.push({
      bytes: deviceMemoryGB * 1e9 * TAB_SHARE_OF_DEVICE,
      reason: `this device reports ${deviceMemoryGB} GB of memory, and a tab can rarely use more than half`,
      kind: 'device-memory',
      deviceMemoryGB,
    });
  }
  if (isIosSafari(userAgent))
    limits.push({
      bytes: IOS_SAFARI_TAB_BYTES,
      reason: 'Safari on iOS closes a tab that uses more than about 1.5 GB',
      kind: 'ios-safari',
    });
  if (ceiling !== null)
    limits.push({
      bytes: ceiling,
      reason: 'a model of about this size ran out of memory on this device before',
      kind: 'failed-before',
    });
  if (limits.length === 0) return null;
  return limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

/** The parts of `navigator` read here, on a page or in a worker (the two libs type it differently). */
export interface NavigatorLike {
  gpu?: GPU;
  storage?: StorageManager;
  locks?: LockManager;
  deviceMemory?: number;
  hardwareConcurrency?: number;
  userAgent?: string;
}

export function nav(): NavigatorLike | undefined {
  return (globalThis as { navigator?: NavigatorLike }).navigator;
}

async function probeGpu(): Promise<GpuCapability | null> {
  const gpu = nav()?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return null;
  const info = adapter.info;
  return {
    adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown',
    isFallback: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean })?.isFallbackAdapter),
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

export async function probeStorage(): Promise<StorageCapability> {
  const storage = nav()?.storage;
  const estimate = await storage?.estimate?.().catch(() => undefined);
  const persisted = storage?.persisted ? await storage.persisted().catch(() => null) : null;
  return {
    quota: typeof estimate?.quota === 'number' ? estimate.quota : null,
    usage: typeof estimate?.usage === 'number' ? estimate.usage : null,
    persisted,
  };
}

function deviceMemoryGB(): number | null {
  const memory = nav()?.deviceMemory;
  return typeof memory === 'number' ? memory : null;
}

/** WASM threads ONNX Runtime gets: several need SharedArrayBuffer, which only cross-origin isolated pages have. */
export function wasmThreads(caps: Pick<Capabilities, 'crossOriginIsolated' | 'cores'>): number {
  return caps.crossOriginIsolated ? Math.max(1, Math.min(4, caps.cores)) : 1;
}

/** The budget of this page (or worker), from its own navigator and, on a page, what failed here before. */
export function currentMemoryBudget(): MemoryBudget | null {
  return memoryBudget(deviceMemoryGB(), nav()?.userAgent ?? '');
}

/** The sentence for a model over budget: "needs about 570 MB … (about 500 MB: this device reports 1 GB …)". */
export function overBudget(needsBytes: number, budget: MemoryBudget): string {
  return `needs about ${formatSize(needsBytes)} of memory at its peak, more than this tab can count on (about ${formatSize(budget.bytes)}: ${budget.reason})`;
}

async function probe(): Promise<Readonly<Capabilities>> {
  const navigator = nav();
  const [webgpu, storage] = await Promise.all([probeGpu(), probeStorage()]);
  return Object.freeze({
    webgpu: webgpu && Object.freeze(webgpu),
    deviceMemoryGB: deviceMemoryGB(),
    cores: navigator?.hardwareConcurrency || 1,
    memoryBudget: currentMemoryBudget(),
    crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
    storage: Object.freeze(storage),
  });
}

let probed: Promise<Readonly<Capabilities>> | null = null;

/** The device's capabilities, probed on the first call; later calls return the same frozen object. */
export function probeCapabilities(): Promise<Readonly<Capabilities>> {
  probed ??= probe();
  return probed;
}

/** The same capabilities with a fresh storage estimate (after a download or a delete). */
export async function withFreshStorage(caps: Readonly<Capabilities>): Promise<Readonly<Capabilities>> {
  return Object.freeze({ ...caps, storage: Object.freeze(await probeStorage()) });
}

/** Asks the browser not to evict stored models; resolves to whether it agreed. Pages only (not workers). */
export async function requestPersistence(): Promise<boolean | null> {
  // `persist()` exists on pages only; the worker lib does not declare it.
  const storage = nav()?.storage as (StorageManager & { persist?: () => Promise<boolean> }) | undefined;
  if (!storage?.persist) return null;
  if (await storage.persisted?.().catch(() => false)) return true;
  return storage.persist().catch(() => false);
}

/**
 * What this device offers for running models, probed once into a frozen object (DESIGN.md convention 7). Runs on
 * a page or in a worker. Storage is the one part that changes while the app runs: `probeStorage()` reads it afresh.
 */

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
  /** Multi-threaded WASM needs it (SharedArrayBuffer). */
  crossOriginIsolated: boolean;
  storage: StorageCapability;
}

/** The parts of `navigator` read here, on a page or in a worker (the two libs type it differently). */
export interface NavigatorLike {
  gpu?: GPU;
  storage?: StorageManager;
  locks?: LockManager;
  deviceMemory?: number;
  hardwareConcurrency?: number;
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

async function probe(): Promise<Readonly<Capabilities>> {
  const navigator = nav();
  const [webgpu, storage] = await Promise.all([probeGpu(), probeStorage()]);
  return Object.freeze({
    webgpu: webgpu && Object.freeze(webgpu),
    deviceMemoryGB: typeof navigator?.deviceMemory === 'number' ? navigator.deviceMemory : null,
    cores: navigator?.hardwareConcurrency || 1,
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

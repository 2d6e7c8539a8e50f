/**
 * The one wrapper of the Web Locks API (navigator.locks) for the engine, the model store and storage. A lock dies
 * with the tab or worker that holds it, which is what each use relies on. Where a browser has no Web Locks, every
 * helper acts as if nobody else held anything.
 */

function lockManager(): LockManager | null {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks ?? null;
}

export interface LockOptions {
  /** Gives up waiting (the request rejects with the signal's reason). */
  signal?: AbortSignal;
  mode?: LockMode;
}

/** Runs `work` holding lock `name`, once every holder before it has let go. */
export async function withLock<T>(
  name: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const manager = lockManager();
  if (!manager) return work();
  return manager.request(name, options, work);
}

export interface HeldLock {
  release(): void;
}

/** Takes lock `name` and keeps it until `release()`; resolves once it is held. */
export async function acquireLock(name: string, options: LockOptions = {}): Promise<HeldLock> {
  const manager = lockManager();
  if (!manager) return { release() {} };
  return new Promise<HeldLock>((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    manager
      .request(name, options, () => {
        resolve({ release });
        return held;
      })
      .catch(reject);
  });
}

/** Asks for lock `name` and keeps it, once granted, until the returned function is called; does not wait. */
export function holdLock(name: string, options: LockOptions = {}): () => void {
  const manager = lockManager();
  if (!manager) return () => {};
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  manager.request(name, options, () => held).catch(() => {});
  return release;
}

/** True when nobody holds lock `name` (or there are no Web Locks, where nothing can be proven held). */
export async function isLockFree(name: string): Promise<boolean> {
  const manager = lockManager();
  if (!manager) return true;
  return manager.request(name, { ifAvailable: true }, (lock) => lock !== null);
}

/** The names of the locks held now across the origin's tabs and workers, one entry per holder. */
export async function heldLockNames(): Promise<string[]> {
  const manager = lockManager();
  if (!manager) return [];
  const { held = [] } = await manager.query();
  return held.map((lock) => lock.name ?? '');
}

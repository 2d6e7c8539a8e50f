/**
 * A Web Lock held for as long as a message is being streamed. A page that crashes or reloads loses its locks, so
 * `markInterrupted()` in any tab can tell a dead stream (lock free) from one a live tab is still writing.
 */
export function streamingLockName(dbName: string, conversationId: string, messageId: string): string {
  return `petit-stream:${dbName}:${conversationId}:${messageId}`;
}

export interface HeldLock {
  release(): void;
}

export async function acquireLock(name: string): Promise<HeldLock> {
  if (typeof navigator === 'undefined' || !navigator.locks) return { release() {} };
  return new Promise<HeldLock>((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    navigator.locks
      .request(name, () => {
        resolve({ release });
        return held;
      })
      .catch(reject);
  });
}

/** True when nobody holds the lock (or the browser has no Web Locks, where a stream cannot be proven alive). */
export async function isLockFree(name: string): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.locks) return true;
  return navigator.locks.request(name, { ifAvailable: true }, (lock) => lock !== null);
}

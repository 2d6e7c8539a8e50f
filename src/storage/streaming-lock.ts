/**
 * A Web Lock held for as long as a message is being streamed. A page that crashes or reloads loses its locks, so
 * `markInterrupted()` in any tab can tell a dead stream (lock free) from one a live tab is still writing.
 */
export function streamingLockName(dbName: string, conversationId: string, messageId: string): string {
  return `petit-stream:${dbName}:${conversationId}:${messageId}`;
}

export { acquireLock, isLockFree, type HeldLock } from '../engine/web-locks.ts';

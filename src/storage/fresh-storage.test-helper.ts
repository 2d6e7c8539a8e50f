/**
 * Throw-away databases for the storage browser tests: each test opens its own name, and everything is closed and
 * deleted after it.
 */
import { afterEach } from 'vitest';
import { openStorage, type PetitStorage } from './index.ts';

const open: PetitStorage[] = [];
const names: string[] = [];

export function freshName(): string {
  const name = `petit-test-${crypto.randomUUID()}`;
  names.push(name);
  return name;
}

export async function fresh(options: Parameters<typeof openStorage>[0] = {}): Promise<PetitStorage> {
  const name = options.name ?? freshName();
  if (!names.includes(name)) names.push(name);
  const storage = await openStorage({ ...options, name });
  open.push(storage);
  return storage;
}

export function deleteDatabase(name: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  await Promise.all(names.splice(0).map(deleteDatabase));
});

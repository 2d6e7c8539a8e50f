import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareFile, gitBlobId } from './model-update.ts';

/** What "Check for update" calls a change, from the hub API's file list (LFS hashes, or git blob ids). */

const text = '{"bos_token_id": 1}\n';
const bytes = new TextEncoder().encode(text);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// What `git hash-object` prints for the file: the hub's blobId of a file outside LFS.
const blob = (s: string) =>
  createHash('sha1')
    .update(`blob ${Buffer.byteLength(s)}\0`)
    .update(s)
    .digest('hex');
const stored = (sha: string | null = sha256(text)) => ({
  path: 'generation_config.json',
  size: bytes.length,
  sha256: sha,
  bytes: async () => bytes.slice().buffer,
});

describe('a stored file against the new commit', () => {
  it('computes git’s blob id as git does', async () => {
    expect(await gitBlobId(bytes.slice().buffer)).toBe(blob(text));
    // `printf '' | git hash-object --stdin`
    expect(await gitBlobId(new ArrayBuffer(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });

  it('compares LFS files by SHA-256', async () => {
    const same = { rfilename: 'generation_config.json', size: bytes.length, lfs: { sha256: sha256(text) } };
    expect(await compareFile(stored(), same)).toBeNull();
    const other = { ...same, size: 30, lfs: { sha256: sha256('other'), size: 30 } };
    expect(await compareFile(stored(), other)).toEqual({
      path: 'generation_config.json',
      kind: 'changed',
      oldSize: bytes.length,
      newSize: 30,
      sha256: sha256('other'),
    });
  });

  it('compares files outside LFS by size and blob id, even when the store has no hash for them', async () => {
    const same = { rfilename: 'generation_config.json', size: bytes.length, blobId: blob(text) };
    expect(await compareFile(stored(null), same)).toBeNull();
    // Same size, other bytes: only the blob id tells.
    const sameSize = '{"bos_token_id": 2}\n';
    const other = { ...same, blobId: blob(sameSize) };
    expect(await compareFile(stored(null), other)).toMatchObject({
      kind: 'changed',
      newSize: bytes.length,
      sha256: null,
    });
  });

  it('calls a file the new commit lacks removed', async () => {
    expect(await compareFile(stored(), undefined)).toMatchObject({ kind: 'removed', newSize: null });
  });
});

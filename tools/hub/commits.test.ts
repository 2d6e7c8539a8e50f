import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommitTable } from './commits.ts';
import { startHub, type Hub } from './hub-server.ts';

let dir: string;
let hub: Hub;
const config = Buffer.from('{"model_type":"llama"}');
const weights = Buffer.alloc(150_000, 7);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const first = CommitTable.initial('org/tiny');

async function get(revision: string, file: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${hub.url}/org/tiny/resolve/${revision}/${file}`, { headers });
  return {
    status: res.status,
    commit: res.headers.get('x-repo-commit'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

async function control(method: string, route: string, body: unknown) {
  const res = await fetch(`${hub.url}/__hub/${route}`, { method, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hub-commits-'));
  await mkdir(path.join(dir, 'org', 'tiny', 'onnx'), { recursive: true });
  await writeFile(path.join(dir, 'org', 'tiny', 'config.json'), config);
  await writeFile(path.join(dir, 'org', 'tiny', 'onnx', 'model.onnx'), weights);
  hub = await startHub({ root: dir });
});
beforeEach(() => fetch(`${hub.url}/__hub/reset`, { method: 'POST' }));
afterAll(async () => {
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the local hub’s commits', () => {
  it('names the folder’s commit in X-Repo-Commit, for main and for the commit itself', async () => {
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect((await get('main', 'config.json')).commit).toBe(first);
    const pinned = await get(first, 'config.json');
    expect(pinned).toMatchObject({ status: 200, commit: first });
    expect(pinned.body.equals(config)).toBe(true);
  });

  it('moves main to a new commit while the old commit keeps serving its own bytes', async () => {
    const next = Buffer.alloc(160_000, 9);
    const { status, json } = await control('POST', 'commits', {
      repo: 'org/tiny',
      files: { 'onnx/model.onnx': next.toString('base64'), 'config.json': null },
    });
    expect(status).toBe(201);
    expect(json.parent).toBe(first);
    const commit = json.commit as string;
    expect(commit).not.toBe(first);

    const moved = await get('main', 'onnx/model.onnx');
    expect(moved.commit).toBe(commit);
    expect(moved.body.equals(next)).toBe(true);
    expect((await get('main', 'config.json')).status).toBe(404);
    const old = await get(first, 'onnx/model.onnx');
    expect(old.body.equals(weights)).toBe(true);
    // A range of a changed file comes from its new bytes.
    const tail = await get(commit, 'onnx/model.onnx', { Range: 'bytes=159990-' });
    expect(tail).toMatchObject({ status: 206 });
    expect(tail.body.equals(next.subarray(159_990))).toBe(true);

    const info = (await (await fetch(`${hub.url}/api/models/org/tiny/revision/main`)).json()) as {
      sha: string;
      siblings: { rfilename: string; size: number; lfs: { sha256: string } }[];
    };
    expect(info.sha).toBe(commit);
    expect(info.siblings).toEqual([
      expect.objectContaining({
        rfilename: 'onnx/model.onnx',
        size: 160_000,
        lfs: { sha256: sha256(next), size: 160_000 },
      }),
    ]);
  });

  it('changes a file under the same commit on request, and reset forgets every commit', async () => {
    const changed = Buffer.from('{"model_type":"gpt2"}');
    expect(
      (
        await control('PUT', `commits/${first}`, {
          repo: 'org/tiny',
          files: { 'config.json': changed.toString('base64') },
        })
      ).status,
    ).toBe(200);
    const served = await get(first, 'config.json');
    expect(served.commit).toBe(first);
    expect(served.body.equals(changed)).toBe(true);
    expect((await control('PUT', `commits/${'f'.repeat(40)}`, { repo: 'org/tiny', files: {} })).status).toBe(
      404,
    );
    expect((await control('POST', 'commits', { repo: 'org/tiny', files: { '../x': null } })).status).toBe(
      400,
    );

    await fetch(`${hub.url}/__hub/reset`, { method: 'POST' });
    expect((await get('main', 'config.json')).body.equals(config)).toBe(true);
  });
});

import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './hub-server.ts';

let dir: string;
let hub: Hub;
const model = Buffer.alloc(200_000);
for (let i = 0; i < model.length; i++) model[i] = (i * 2654435761) >>> 24;
const config = Buffer.from(JSON.stringify({ model_type: 'llama', hidden_size: 64 }));
const sha = (b: Buffer) => `"${createHash('sha256').update(b).digest('hex')}"`;

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before Content-Length bytes arrived. */
  complete: boolean;
}

/** Raw HTTP (no URL normalisation, so `..` reaches the server as sent). */
function raw(
  urlPath: string,
  opts: { method?: string; headers?: Record<string, string>; timeoutMs?: number; body?: string } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${hub.url}${urlPath}`,
      { method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        const finish = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            complete: res.complete,
          });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
        if (opts.timeoutMs) setTimeout(() => req.destroy(), opts.timeoutMs);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const file = (p: string, rev = 'main') => `/test-org/tiny/resolve/${rev}/${p}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hub-test-'));
  const repo = path.join(dir, 'root', 'test-org', 'tiny');
  await mkdir(path.join(repo, 'onnx'), { recursive: true });
  await writeFile(path.join(repo, 'config.json'), config);
  await writeFile(path.join(repo, 'onnx', 'model.onnx'), model);
  await writeFile(path.join(repo, 'empty.txt'), '');
  const pinned = path.join(dir, 'root', 'test-org', 'pinned');
  await mkdir(pinned, { recursive: true });
  await writeFile(path.join(pinned, 'config.json'), config);
  await writeFile(path.join(pinned, '.hub-revision'), 'abc123\n');
  await mkdir(path.join(dir, 'root', 'test-org', 'optpin'), { recursive: true });
  await writeFile(path.join(dir, 'root', 'test-org', 'optpin', 'config.json'), config);
  // Outside the root: must never be served.
  await writeFile(path.join(dir, 'secret.txt'), 'TOP SECRET');
  await symlink(path.join(dir, 'secret.txt'), path.join(repo, 'link.txt'));
  hub = await startHub({ root: path.join(dir, 'root'), revisions: { 'test-org/optpin': 'v1' } });
});

afterEach(() => {
  hub.faults.clear();
  hub.requests.reset();
});

afterAll(async () => {
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serving files', () => {
  it('serves a file with length, strong content ETag, ranges and CORS/CORP headers', async () => {
    const res = await fetch(hub.url + file('onnx/model.onnx'));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(model)).toBe(true);
    expect(res.headers.get('content-length')).toBe(String(model.length));
    expect(res.headers.get('etag')).toBe(sha(model));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/ETag/);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Content-Range/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const json = await fetch(hub.url + file('config.json'));
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ model_type: 'llama', hidden_size: 64 });
  });

  it('answers HEAD with the same headers and no body', async () => {
    const res = await raw(file('onnx/model.onnx'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(model.length));
    expect(res.headers.etag).toBe(sha(model));
    expect(res.body.length).toBe(0);
  });

  it('serves an empty file', async () => {
    const res = await raw(file('empty.txt'));
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
  });

  it('answers any revision for an unpinned repo', async () => {
    for (const rev of ['main', 'deadbeef', 'refs%2Fpr%2F1']) {
      expect((await fetch(hub.url + file('config.json', rev))).status).toBe(200);
    }
  });

  it('answers only the pinned revision of a pinned repo (.hub-revision file or option)', async () => {
    expect((await fetch(`${hub.url}/test-org/pinned/resolve/abc123/config.json`)).status).toBe(200);
    const wrong = await fetch(`${hub.url}/test-org/pinned/resolve/main/config.json`);
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('x-error-code')).toBe('RevisionNotFound');
    expect((await fetch(`${hub.url}/test-org/optpin/resolve/v1/config.json`)).status).toBe(200);
    expect((await fetch(`${hub.url}/test-org/optpin/resolve/v2/config.json`)).status).toBe(404);
    // The pin file itself is not a repo file.
    expect((await fetch(`${hub.url}/test-org/pinned/resolve/abc123/.hub-revision`)).status).toBe(404);
  });

  it('answers a CORS preflight', async () => {
    const res = await raw(file('config.json'), {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toBe('range');
  });

  it('rejects other methods with 405', async () => {
    expect((await raw(file('config.json'), { method: 'PUT', body: 'x' })).status).toBe(405);
  });
});

describe('ranges', () => {
  const cases: [string, number, number][] = [
    ['bytes=10-19', 10, 19],
    ['bytes=0-0', 0, 0],
    ['bytes=199990-', 199_990, 199_999],
    ['bytes=-50', 199_950, 199_999],
    ['bytes=199000-999999', 199_000, 199_999],
    ['bytes=-999999', 0, 199_999],
  ];
  it.each(cases)('%s → 206 with bytes %i-%i', async (range, start, end) => {
    const res = await raw(file('onnx/model.onnx'), { headers: { Range: range } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${model.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.headers.etag).toBe(sha(model));
    expect(res.body.equals(model.subarray(start, end + 1))).toBe(true);
  });

  it.each(['bytes=200000-', 'bytes=5-2', 'bytes=-0', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-'])(
    '%s → 416 with the size',
    async (range) => {
      const res = await raw(file('onnx/model.onnx'), { headers: { Range: range } });
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${model.length}`);
      expect(res.body.length).toBe(0);
    },
  );

  it('ignores the range when If-Range names another version', async () => {
    const res = await raw(file('onnx/model.onnx'), {
      headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' },
    });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(model.length);
    const same = await raw(file('onnx/model.onnx'), {
      headers: { Range: 'bytes=0-9', 'If-Range': sha(model) },
    });
    expect(same.status).toBe(206);
  });
});

describe('ETags', () => {
  it('answers a matching If-None-Match with 304 and no body, a stale one with 200', async () => {
    const hit = await raw(file('onnx/model.onnx'), { headers: { 'If-None-Match': sha(model) } });
    expect(hit.status).toBe(304);
    expect(hit.headers.etag).toBe(sha(model));
    expect(hit.body.length).toBe(0);
    const weak = await raw(file('onnx/model.onnx'), { headers: { 'If-None-Match': `"x", W/${sha(model)}` } });
    expect(weak.status).toBe(304);
    const miss = await raw(file('onnx/model.onnx'), { headers: { 'If-None-Match': '"something-else"' } });
    expect(miss.status).toBe(200);
    expect(miss.body.length).toBe(model.length);
  });

  it('changes the ETag when the file changes', async () => {
    const p = path.join(dir, 'root', 'test-org', 'tiny', 'changing.txt');
    await writeFile(p, 'one');
    const a = await raw(file('changing.txt'));
    await writeFile(p, 'two!');
    const b = await raw(file('changing.txt'));
    expect(a.headers.etag).toBe(sha(Buffer.from('one')));
    expect(b.headers.etag).toBe(sha(Buffer.from('two!')));
    expect(b.body.toString()).toBe('two!');
  });
});

describe('404s', () => {
  it('says which part is missing, as the hub does', async () => {
    const repo = await fetch(`${hub.url}/nobody/nothing/resolve/main/config.json`);
    expect(repo.status).toBe(404);
    expect(repo.headers.get('x-error-code')).toBe('RepoNotFound');
    expect(await repo.json()).toEqual({ error: 'Repository not found' });
    const entry = await fetch(hub.url + file('onnx/missing.onnx'));
    expect(entry.status).toBe(404);
    expect(entry.headers.get('x-error-code')).toBe('EntryNotFound');
    expect(await entry.json()).toEqual({ error: 'Entry not found' });
    expect(entry.headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(hub.url + file('onnx'))).status).toBe(404);
    expect((await fetch(`${hub.url}/test-org/tiny/blob/main/config.json`)).status).toBe(404);
    expect((await fetch(`${hub.url}/`)).status).toBe(404);
  });

  it.each([
    file('../../../secret.txt'),
    file('..%2F..%2F..%2Fsecret.txt'),
    file('%2e%2e/%2e%2e/%2e%2e/secret.txt'),
    '/test-org/../resolve/main/secret.txt',
    '/..%2F..%2F/x/resolve/main/secret.txt',
    '/test-org/tiny/resolve/main/..\\..\\..\\secret.txt',
    file('link.txt'),
    file('onnx/..%00/config.json'),
    '/test-org/tiny/resolve/main/ABSOLUTE',
  ])('never escapes the root: %s', async (p) => {
    const res = await raw(p.replace('ABSOLUTE', encodeURIComponent(path.join(dir, 'secret.txt'))));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.toString()).not.toContain('TOP SECRET');
  });
});

describe('faults', () => {
  it('fails a file with a status, for a limited number of requests', async () => {
    hub.faults.add({ match: 'test-org/tiny/config.json', status: 503, times: 2 });
    const first = await fetch(hub.url + file('config.json'));
    expect(first.status).toBe(503);
    expect(first.headers.get('x-error-code')).toBe('InjectedFault');
    expect((await fetch(hub.url + file('config.json'))).status).toBe(503);
    expect((await fetch(hub.url + file('config.json'))).status).toBe(200);
    // Other files are untouched.
    hub.faults.add({ match: 'test-org/tiny/onnx/*', status: 500 });
    expect((await fetch(hub.url + file('config.json'))).status).toBe(200);
    expect((await fetch(hub.url + file('onnx/model.onnx'))).status).toBe(500);
  });

  it('cuts a response after N bytes while announcing the full length', async () => {
    hub.faults.add({ match: '*model.onnx', cutAfterBytes: 70_000 });
    const res = await raw(file('onnx/model.onnx'));
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(model.length));
    expect(res.complete).toBe(false);
    expect(res.body.length).toBe(70_000);
    expect(res.body.equals(model.subarray(0, 70_000))).toBe(true);
    await expect(fetch(hub.url + file('onnx/model.onnx')).then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('cuts a range response so a client can resume from where it stopped', async () => {
    hub.faults.add({ match: '*model.onnx', cutAfterBytes: 1000, times: 1 });
    const cut = await raw(file('onnx/model.onnx'), { headers: { Range: 'bytes=5000-' } });
    expect(cut.status).toBe(206);
    expect(cut.body.equals(model.subarray(5000, 6000))).toBe(true);
    const rest = await raw(file('onnx/model.onnx'), { headers: { Range: 'bytes=6000-' } });
    expect(rest.complete).toBe(true);
    expect(Buffer.concat([model.subarray(0, 5000), cut.body, rest.body]).equals(model)).toBe(true);
  });

  it('stalls after the headers and some bytes until the client gives up', async () => {
    hub.faults.add({ match: '*model.onnx', stallAfterBytes: 1234 });
    const res = await raw(file('onnx/model.onnx'), { timeoutMs: 400 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(1234);
    expect(res.complete).toBe(false);
    // A fetch with a deadline sees the stall as a timeout, not as data.
    hub.faults.add({ match: '*config.json', stallAfterBytes: 0 });
    const r = await fetch(hub.url + file('config.json'), { signal: AbortSignal.timeout(300) });
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow();
  });

  it('delays the headers', async () => {
    hub.faults.add({ match: '*config.json', delayMs: 250 });
    const t0 = performance.now();
    const res = await fetch(hub.url + file('config.json'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    expect(await res.json()).toEqual({ model_type: 'llama', hidden_size: 64 });
  });

  it('throttles the body', async () => {
    hub.faults.add({ match: '*config.json', bytesPerSecond: config.length * 4 });
    const t0 = performance.now();
    const res = await raw(file('config.json'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    expect(res.body.equals(config)).toBe(true);
  });

  it('corrupts bytes without changing length or ETag', async () => {
    hub.faults.add({ match: '*model.onnx', corrupt: [0, 65_535, 65_536, 199_999] });
    const res = await raw(file('onnx/model.onnx'));
    expect(res.headers.etag).toBe(sha(model));
    expect(res.body.length).toBe(model.length);
    const diff: number[] = [];
    for (let i = 0; i < model.length; i++) if (res.body[i] !== model[i]) diff.push(i);
    expect(diff).toEqual([0, 65_535, 65_536, 199_999]);
    expect(res.body[0]).toBe(model[0] ^ 0xff);
    // Offsets are file offsets, also inside a range.
    const ranged = await raw(file('onnx/model.onnx'), { headers: { Range: 'bytes=65530-65540' } });
    expect(ranged.body[5]).toBe(model[65_535] ^ 0xff);
    expect(ranged.body[4]).toBe(model[65_534]);
    hub.faults.clear();
    hub.faults.add({ match: '*model.onnx', corrupt: true });
    const mid = await raw(file('onnx/model.onnx'));
    expect(mid.body[100_000]).toBe(model[100_000] ^ 0xff);
    expect(createHash('sha256').update(mid.body).digest('hex')).not.toBe(sha(model).slice(1, -1));
  });

  it('takes faults and reports requests over HTTP for tests in another process', async () => {
    const bad = await fetch(`${hub.url}/__hub/faults`, {
      method: 'POST',
      body: '{"match":"x","status":200}',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/status must be an integer from 400 to 599/);
    expect((await fetch(`${hub.url}/__hub/faults`, { method: 'POST', body: '{"mtch":"x"}' })).status).toBe(
      400,
    );

    const added = await fetch(`${hub.url}/__hub/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { match: 'test-org/tiny/config.json', status: 500 },
        { match: '*.onnx', cutAfterBytes: 10 },
      ]),
    });
    expect(added.status).toBe(201);
    const { ids } = (await added.json()) as { ids: number[] };
    expect(ids).toHaveLength(2);
    expect(await (await fetch(`${hub.url}/__hub/faults`)).json()).toHaveLength(2);
    expect((await fetch(hub.url + file('config.json'))).status).toBe(500);
    expect((await fetch(`${hub.url}/__hub/faults/${ids[0]}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(hub.url + file('config.json'))).status).toBe(200);
    expect((await raw(file('onnx/model.onnx'))).body.length).toBe(10);

    const log = (await (await fetch(`${hub.url}/__hub/requests`)).json()) as {
      total: number;
      byFile: Record<string, number>;
      entries: { status: number; fault?: number }[];
    };
    expect(log.total).toBe(3);
    expect(log.byFile).toEqual({ 'test-org/tiny/config.json': 2, 'test-org/tiny/onnx/model.onnx': 1 });
    expect(log.entries.map((e) => e.status)).toEqual([500, 200, 200]);
    expect(log.entries[0].fault).toBe(ids[0]);

    expect((await fetch(`${hub.url}/__hub/reset`, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(`${hub.url}/__hub/requests`)).json()).toMatchObject({ total: 0, byFile: {} });
    expect(await (await fetch(`${hub.url}/__hub/faults`)).json()).toEqual([]);
    expect(await (await fetch(`${hub.url}/__hub`)).json()).toMatchObject({
      repos: ['test-org/optpin', 'test-org/pinned', 'test-org/tiny'],
    });
  });

  it('counts requests per file so tests can assert one download or none', async () => {
    await fetch(hub.url + file('config.json')).then((r) => r.arrayBuffer());
    await fetch(hub.url + file('config.json', 'other')).then((r) => r.arrayBuffer());
    expect(hub.requests.count('test-org/tiny/config.json')).toBe(2);
    expect(hub.requests.count('test-org/tiny/onnx/*')).toBe(0);
    expect(hub.requests.count()).toBe(2);
    expect(hub.requests.entries().map((e) => e.revision)).toEqual(['main', 'other']);
  });
});

describe('lifecycle', () => {
  it('refuses a missing root with a message that says what to do', async () => {
    await expect(startHub({ root: path.join(dir, 'nope') })).rejects.toThrow(/not a folder: create it/);
  });

  it('closes promptly even with a stalled download open', async () => {
    const other = await startHub({ root: path.join(dir, 'root') });
    other.faults.add({ match: '*', stallAfterBytes: 5 });
    const res = await fetch(`${other.url}${file('onnx/model.onnx')}`);
    expect(res.status).toBe(200);
    const reading = res.arrayBuffer().catch((e: unknown) => e);
    await other.close();
    expect(await reading).toBeInstanceOf(Error);
    await expect(fetch(`${other.url}${file('config.json')}`)).rejects.toThrow();
  });
});

/**
 * A local stand-in for the Hugging Face hub: serves `<root>/<org>/<name>/<path>` as
 * `/{org}/{name}/resolve/{revision}/{path}` with the headers download code relies on (Content-Length, strong ETag,
 * Range, CORS, CORP), and misbehaves on request (see faults.ts) so tests can exercise failure paths for real.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CommitTable, parseFiles } from './commits.ts';
import { FaultSpecError, FaultTable, globMatches, validateFaultSpec, type Fault } from './faults.ts';

export interface HubOptions {
  /** Folder holding `<org>/<name>/<files>`. */
  root: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Pinned revisions by repo id (`org/name`): only that revision string resolves, any other is a 404.
   * A repo can also pin itself with a `.hub-revision` file holding the revision. Unpinned repos answer any revision.
   */
  revisions?: Record<string, string>;
}

export interface RequestEntry {
  method: string;
  /** The request path as sent (no query string). */
  path: string;
  /** `org/name/path` for resolve requests. */
  file?: string;
  revision?: string;
  range?: string;
  status: number;
  /** Id of the fault applied, if any. */
  fault?: number;
  time: number;
}

export class RequestLog {
  #entries: RequestEntry[] = [];

  /** Internal: the server records each non-control request here. */
  record(entry: RequestEntry): RequestEntry {
    this.#entries.push(entry);
    return entry;
  }

  entries(): RequestEntry[] {
    return this.#entries.map((e) => ({ ...e }));
  }

  /** GET and HEAD requests for files matching `match` (`org/name/path`, `*` glob); all of them without it. */
  count(match?: string): number {
    return this.#entries.filter(
      (e) =>
        e.method !== 'OPTIONS' &&
        (match === undefined || (e.file !== undefined && globMatches(match, e.file))),
    ).length;
  }

  /** GET/HEAD request counts keyed by `org/name/path`. */
  byFile(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#entries) if (e.file && e.method !== 'OPTIONS') out[e.file] = (out[e.file] ?? 0) + 1;
    return out;
  }

  reset(): void {
    this.#entries = [];
  }
}

export interface Hub {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:39113 — use it as transformers.js `env.remoteHost`. */
  url: string;
  port: number;
  root: string;
  faults: FaultTable;
  requests: RequestLog;
  /** Commits beyond each repo folder: move `main`, or change a file under a commit (commits.ts). */
  commits: CommitTable;
  /** Stops listening and destroys open (including stalled) connections. */
  close(): Promise<void>;
}

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Content-Range, Content-Type, ETag, Accept-Ranges, X-Error-Code, X-Error-Message, X-Repo-Commit',
  // Lets cross-origin-isolated pages (COEP require-corp) load model files.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
};

/** Hub-like error: status, X-Error-Code header, `{"error": message}` body. */
function sendError(res: ServerResponse, status: number, code: string, message: string, head = false): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Error-Code': code,
    'X-Error-Message': message,
  });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

type RangeResult = { kind: 'none' } | { kind: 'ok'; start: number; end: number } | { kind: 'bad' };

/** One `bytes=` range (start-end, start-, -suffix). Multiple ranges are not supported and count as bad. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'bad' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'bad' };
    return { kind: 'ok', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return { kind: 'bad' };
  return { kind: 'ok', start, end };
}

function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Resolves when the chunk has been handed to the kernel, or the response died. */
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const onClose = () => resolve(false);
    res.once('close', onClose);
    res.write(chunk, (err) => {
      res.off('close', onClose);
      resolve(!err && !res.destroyed);
    });
  });
}

async function readJsonBody(req: IncomingMessage, limitMiB = 1): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > limitMiB << 20) throw new FaultSpecError(`request body over ${limitMiB} MiB`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new FaultSpecError(`request body is not JSON: ${text.slice(0, 80)}`);
  }
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
}

/** Every file of a repo folder, relative and with `/`, leaving out the hub's own `.hub-*` files. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.hub-')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const rootStat = await stat(options.root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new Error(
      `hub root ${options.root} is not a folder: create it or pass --root <folder of org/name repos>`,
    );
  }
  const root = await realpath(options.root);
  const faults = new FaultTable();
  const requests = new RequestLog();
  const commits = new CommitTable();
  const closing = new AbortController();
  const etags = new Map<string, { size: number; mtimeMs: number; etag: Promise<string> }>();

  function etagFor(file: string, st: Stats): Promise<string> {
    const hit = etags.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.etag;
    const etag = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('data', (c) => hash.update(c))
        .on('error', reject)
        .on('end', () => resolve(`"${hash.digest('hex')}"`));
    });
    etags.set(file, { size: st.size, mtimeMs: st.mtimeMs, etag });
    etag.catch(() => etags.delete(file));
    return etag;
  }

  async function pinnedRevision(repoId: string, repoDir: string): Promise<string | undefined> {
    if (options.revisions?.[repoId] !== undefined) return options.revisions[repoId];
    const pin = await readFile(path.join(repoDir, '.hub-revision'), 'utf8').catch(() => undefined);
    return pin?.trim() || undefined;
  }

  /** The real path of `<root>/<segments>` if it stays inside root, else undefined. */
  async function insideRoot(segments: string[]): Promise<string | undefined> {
    for (const s of segments) {
      if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) return undefined;
    }
    const joined = path.resolve(root, ...segments);
    if (!joined.startsWith(root + path.sep)) return undefined;
    // Symlinks may point anywhere: check where they really lead.
    const real = await realpath(joined).catch(() => undefined);
    if (real === undefined || !(real === root || real.startsWith(root + path.sep))) return undefined;
    return real;
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const head = req.method === 'HEAD';
    let parts: string[];
    try {
      parts = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return sendError(res, 400, 'BadRequest', `malformed percent-encoding in ${pathname}`, head);
    }
    const [org, name, resolve, revision, ...rest] = parts;
    const entry = requests.record({
      method: req.method ?? 'GET',
      path: pathname,
      status: 0,
      time: Date.now(),
    });
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));
    if (resolve !== 'resolve' || !revision || rest.length === 0 || !org || !name) {
      return sendError(
        res,
        404,
        'NotFound',
        `not a hub file URL: ${pathname} (want /{org}/{name}/resolve/{revision}/{path})`,
        head,
      );
    }
    const filePath = rest.join('/');
    entry.file = `${org}/${name}/${filePath}`;
    entry.revision = revision;
    if (req.headers.range) entry.range = req.headers.range;

    const repoDir = await insideRoot([org, name]);
    const repoStat = repoDir ? await stat(repoDir).catch(() => undefined) : undefined;
    if (!repoDir || !repoStat?.isDirectory()) {
      return sendError(res, 404, 'RepoNotFound', 'Repository not found', head);
    }
    const pin = await pinnedRevision(`${org}/${name}`, repoDir);
    if (pin !== undefined && revision !== pin) {
      return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`, head);
    }
    const commit = pin === undefined ? commits.resolve(`${org}/${name}`, revision) : null;
    const changed = commits.overlay(`${org}/${name}`, commit).get(filePath);
    const file = rest.some((s) => s.startsWith('.hub-')) ? undefined : await insideRoot([org, name, ...rest]);
    const st = changed ? undefined : file ? await stat(file).catch(() => undefined) : undefined;
    if (changed === null || (!changed && (!file || !st?.isFile())))
      return sendError(res, 404, 'EntryNotFound', 'Entry not found', head);
    const source: Buffer | string = changed ?? file!;
    const size = changed ? changed.length : st!.size;

    const fault = faults.take(entry.file);
    if (fault) entry.fault = fault.id;
    if (fault?.delayMs) await sleep(fault.delayMs, closing.signal);
    if (res.destroyed || closing.signal.aborted) return;
    if (fault?.status !== undefined) {
      return sendError(
        res,
        fault.status,
        'InjectedFault',
        `fault ${fault.id} injected by the local hub`,
        head,
      );
    }

    const etag = changed
      ? `"${createHash('sha256').update(changed).digest('hex')}"`
      : await etagFor(file!, st!);
    const headers: Record<string, string | number> = {
      ...CORS_HEADERS,
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Content-Type': CONTENT_TYPES[path.extname(filePath)] ?? 'application/octet-stream',
      // Revalidate every time so tests see every request and the app's own cache is what gets tested.
      'Cache-Control': 'no-cache',
      ...(st ? { 'Last-Modified': st.mtime.toUTCString() } : {}),
      'X-Repo-Commit': pin ?? commit ?? revision,
    };
    if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    let range = parseRange(req.headers.range, size);
    const ifRange = req.headers['if-range'];
    if (range.kind !== 'none' && ifRange !== undefined && ifRange !== etag) range = { kind: 'none' };
    if (range.kind === 'bad') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      return void res.end();
    }
    let start = 0;
    let end = size - 1;
    if (range.kind === 'ok') {
      ({ start, end } = range);
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = end - start + 1;
    res.writeHead(range.kind === 'ok' ? 206 : 200, headers);
    if (head || size === 0) return void res.end();
    // Headers go out now even if the body stalls at byte 0.
    res.flushHeaders();
    await sendBody(res, source, start, end, size, fault);
  }

  async function sendBody(
    res: ServerResponse,
    file: string | Buffer,
    start: number,
    end: number,
    size: number,
    fault?: Fault,
  ) {
    const stopAt = Math.min(fault?.cutAfterBytes ?? Infinity, fault?.stallAfterBytes ?? Infinity);
    const flips = fault?.corrupt === true ? [Math.floor(size / 2)] : (fault?.corrupt ?? []);
    const slice = fault?.bytesPerSecond ? Math.max(1, Math.floor(fault.bytesPerSecond / 20)) : Infinity;
    let sent = 0;
    if (stopAt > 0) {
      const stream =
        typeof file === 'string'
          ? createReadStream(file, { start, end, highWaterMark: 64 * 1024 })
          : Readable.from(chunksOf(file.subarray(start, end + 1)));
      try {
        for await (const raw of stream as AsyncIterable<Buffer>) {
          let chunk = raw;
          const offset = start + sent;
          if (flips.some((o) => o >= offset && o < offset + chunk.length)) {
            chunk = Buffer.from(chunk);
            for (const o of flips) if (o >= offset && o < offset + chunk.length) chunk[o - offset] ^= 0xff;
          }
          if (sent + chunk.length > stopAt) chunk = chunk.subarray(0, stopAt - sent);
          for (let i = 0; i < chunk.length; i += slice) {
            const part = chunk.subarray(i, Math.min(chunk.length, i + slice));
            if (!(await write(res, part))) return;
            sent += part.length;
            if (fault?.bytesPerSecond)
              await sleep((part.length / fault.bytesPerSecond) * 1000, closing.signal);
            if (closing.signal.aborted) return;
          }
          if (sent >= stopAt) break;
        }
      } finally {
        stream.destroy();
      }
    }
    if (fault?.cutAfterBytes !== undefined && sent >= fault.cutAfterBytes) {
      res.socket?.destroy();
      return;
    }
    // A stall leaves the response open; close() destroys it.
    if (fault?.stallAfterBytes !== undefined && sent >= fault.stallAfterBytes) return;
    res.end();
  }

  async function listRepos(): Promise<string[]> {
    const out: string[] = [];
    for (const org of await readdir(root, { withFileTypes: true })) {
      if (!org.isDirectory()) continue;
      for (const repo of await readdir(path.join(root, org.name), { withFileTypes: true })) {
        if (repo.isDirectory()) out.push(`${org.name}/${repo.name}`);
      }
    }
    return out.sort();
  }

  /** The hub API's `GET /api/models/{org}/{name}/revision/{rev}`: the commit and its files (each with `lfs`). */
  async function revisionInfo(res: ServerResponse, pathname: string): Promise<void> {
    const m = /^\/api\/models\/([^/]+)\/([^/]+)\/revision\/([^/]+)$/.exec(pathname);
    const repoDir = m ? await insideRoot([m[1], m[2]]) : undefined;
    if (!m || !repoDir) return sendError(res, 404, 'RepoNotFound', 'Repository not found');
    const repoId = `${m[1]}/${m[2]}`;
    const revision = decodeURIComponent(m[3]);
    const pin = await pinnedRevision(repoId, repoDir);
    if (pin !== undefined && revision !== pin && revision !== 'main')
      return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const commit = pin === undefined ? commits.resolve(repoId, revision) : null;
    const files = new Map<string, Buffer | string | null>();
    for (const rel of await listFiles(repoDir)) files.set(rel, path.join(repoDir, rel));
    for (const [rel, bytes] of commits.overlay(repoId, commit)) files.set(rel, bytes);
    const siblings = [];
    for (const [rfilename, source] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      if (source === null) continue;
      const bytes = typeof source === 'string' ? await readFile(source) : source;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const blobId = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      siblings.push({ rfilename, size: bytes.length, blobId, lfs: { sha256, size: bytes.length } });
    }
    return sendJson(res, 200, { id: repoId, sha: pin ?? commit ?? revision, siblings });
  }

  async function control(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const route = `${req.method} ${pathname.replace(/\/+$/, '')}`;
    try {
      if (route === 'GET /__hub') return sendJson(res, 200, { root, repos: await listRepos() });
      if (route === 'GET /__hub/faults') return sendJson(res, 200, faults.list());
      if (route === 'POST /__hub/faults') {
        const body = await readJsonBody(req);
        const specs = (Array.isArray(body) ? body : [body]).map(validateFaultSpec);
        return sendJson(res, 201, { ids: specs.map((s) => faults.add(s)) });
      }
      if (route === 'DELETE /__hub/faults') {
        faults.clear();
        return sendJson(res, 200, { ok: true });
      }
      const one = /^DELETE \/__hub\/faults\/(\d+)$/.exec(route);
      if (one) {
        const removed = faults.remove(Number(one[1]));
        return sendJson(res, removed ? 200 : 404, { ok: removed });
      }
      if (route === 'GET /__hub/requests') {
        return sendJson(res, 200, {
          total: requests.count(),
          byFile: requests.byFile(),
          entries: requests.entries(),
        });
      }
      if (route === 'DELETE /__hub/requests') {
        requests.reset();
        return sendJson(res, 200, { ok: true });
      }
      if (route === 'POST /__hub/commits') {
        // Commits carry whole files (base64).
        const body = (await readJsonBody(req, 256)) as { repo?: unknown; files?: unknown } | null;
        if (typeof body?.repo !== 'string') throw new Error('`repo` must be "org/name"');
        return sendJson(res, 201, commits.commit(body.repo, parseFiles(body.files)));
      }
      const under = /^PUT \/__hub\/commits\/([0-9a-f]{40})$/.exec(route);
      if (under) {
        // Commits carry whole files (base64).
        const body = (await readJsonBody(req, 256)) as { repo?: unknown; files?: unknown } | null;
        if (typeof body?.repo !== 'string') throw new Error('`repo` must be "org/name"');
        const ok = commits.rewrite(body.repo, under[1], parseFiles(body.files));
        return sendJson(res, ok ? 200 : 404, { ok });
      }
      if (route === 'POST /__hub/reset') {
        faults.clear();
        requests.reset();
        commits.clear();
        return sendJson(res, 200, { ok: true });
      }
      return sendError(res, 404, 'NotFound', `no control route ${route}; see tools/hub/README.md`);
    } catch (err) {
      if (err instanceof FaultSpecError) return sendError(res, 400, 'BadFault', err.message);
      if (route.includes('/__hub/commits') && err instanceof Error)
        return sendError(res, 400, 'BadCommit', err.message);
      throw err;
    }
  }

  const server = createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    const work = async () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
          'Access-Control-Max-Age': '600',
        });
        return void res.end();
      }
      if (pathname === '/__hub' || pathname.startsWith('/__hub/')) return control(req, res, pathname);
      if (pathname.startsWith('/api/models/') && req.method === 'GET') return revisionInfo(res, pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD, OPTIONS');
        return sendError(res, 405, 'MethodNotAllowed', `${req.method} is not supported; use GET or HEAD`);
      }
      return serveFile(req, res, pathname);
    };
    work().catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', String(err));
      else res.destroy();
    });
  });

  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    root,
    faults,
    requests,
    commits,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

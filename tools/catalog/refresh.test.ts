import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshPins } from './refresh.ts';

/**
 * A local server answering the two hub routes the refresh script uses, in the shape the Hugging Face API
 * documents (`/api/models/{repo}/revision/{rev}?blobs=true`: `sha` and `siblings` with `lfs` for LFS files).
 */
const COMMIT = 'a'.repeat(40);
const CONFIG = '{"model_type":"llama","vocab_size":1024}\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const LFS_SHA = 'b'.repeat(64);

let server: Server;
let hubUrl: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/api/models/org/model/revision/main?blobs=true') {
      res.setHeader('content-type', 'application/json');
      return res.end(
        JSON.stringify({
          sha: COMMIT,
          siblings: [
            { rfilename: 'config.json', size: CONFIG.length },
            { rfilename: 'tokenizer.json', size: 2 },
            { rfilename: 'tokenizer_config.json', size: 2 },
            { rfilename: 'README.md', size: 10 },
            { rfilename: 'onnx/model_q4.onnx', size: 134, lfs: { sha256: LFS_SHA, size: 200_000_000 } },
            { rfilename: 'onnx/model_fp16.onnx', size: 134, lfs: { sha256: 'c'.repeat(64), size: 300 } },
          ],
        }),
      );
    }
    if (req.url === `/org/model/resolve/${COMMIT}/config.json`) return res.end(CONFIG);
    if (req.url?.startsWith(`/org/model/resolve/${COMMIT}/tokenizer`)) return res.end('{}');
    res.statusCode = 404;
    res.end('{"error":"Repository not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('catalog refresh', () => {
  it('pins the commit, takes LFS hashes from the API and hashes small files at that commit', async () => {
    const { pins, failed } = await refreshPins({ hubUrl, repos: [{ repo: 'org/model', dtypes: ['q4'] }] });
    expect(failed).toEqual([]);
    expect(pins['org/model']).toEqual({
      revision: COMMIT,
      files: {
        'config.json': { size: CONFIG.length, sha256: sha(CONFIG) },
        'tokenizer.json': { size: 2, sha256: sha('{}') },
        'tokenizer_config.json': { size: 2, sha256: sha('{}') },
        'onnx/model_q4.onnx': { size: 200_000_000, sha256: LFS_SHA },
      },
    });
    // Small files are read at the pinned commit, never at `main`; LFS files are not downloaded at all.
    expect(seen.filter((u) => u.includes('/resolve/')).every((u) => u.includes(COMMIT))).toBe(true);
    expect(seen.some((u) => u.includes('.onnx'))).toBe(false);
  });

  it('reports a repo it cannot pin (missing, or lacking a dtype the catalog lists) and goes on', async () => {
    const lines: string[] = [];
    const { pins, failed } = await refreshPins({
      hubUrl,
      repos: [
        { repo: 'org/missing', dtypes: ['q4'] },
        { repo: 'org/model', dtypes: ['q8'] },
      ],
      log: (l) => lines.push(l),
    });
    expect(pins).toEqual({});
    expect(failed).toEqual(['org/missing', 'org/model']);
    expect(lines.join('\n')).toMatch(/org\/missing: .*HTTP 404/);
    expect(lines.join('\n')).toMatch(/lists onnx\/model_quantized\.onnx, the repo lacks it/);
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stubModelLibrary, writeMlcModel } from './mlc-model-writer.ts';

describe('MLC-layout models for the local hub', () => {
  it('tensor-cache.json lists every shard with its size, in the order web-llm reads them', () => {
    const root = mkdtempSync(join(tmpdir(), 'mlc-writer-'));
    try {
      const files = writeMlcModel(root, { repo: 'org/Tiny-MLC', shards: 3, shardBytes: 1024 });
      expect(files).toEqual([
        'mlc-chat-config.json',
        'tokenizer.json',
        'tensor-cache.json',
        'params_shard_0.bin',
        'params_shard_1.bin',
        'params_shard_2.bin',
      ]);
      const dir = join(root, 'org/Tiny-MLC');
      const cache = JSON.parse(readFileSync(join(dir, 'tensor-cache.json'), 'utf8')) as {
        records: { dataPath: string; nbytes: number }[];
      };
      for (const record of cache.records)
        expect(statSync(join(dir, record.dataPath)).size).toBe(record.nbytes);
      const shards = cache.records.map((r) => readFileSync(join(dir, r.dataPath)).toString('hex'));
      expect(new Set(shards).size).toBe(3);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the stub library is valid wasm with TVM’s entry points, and every packed call fails with its message', async () => {
    const module = await WebAssembly.compile(stubModelLibrary('no kernels here'));
    const instance = await WebAssembly.instantiate(module, {});
    const e = instance.exports as Record<string, (...args: number[]) => number> & {
      memory: WebAssembly.Memory;
    };
    const a = e.TVMWasmAllocSpace(100);
    const b = e.TVMWasmAllocSpace(8);
    expect(b - a).toBe(112);
    expect(e.TVMFFIFunctionGetGlobal(0, a)).toBe(0);
    const handle = new Uint32Array(e.memory.buffer, a, 1)[0];
    expect(handle).toBeGreaterThan(0);
    expect(e.TVMFFIFunctionCall(handle, 0, 0, 0)).toBe(-1);
    const at = e.TVMFFIWasmGetLastError();
    const bytes = new Uint8Array(e.memory.buffer, at, 64);
    expect(new TextDecoder().decode(bytes.slice(0, bytes.indexOf(0)))).toBe('no kernels here');
  });
});

import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG, minimalEntry } from './catalog.ts';
import { pinnedFiles, planFiles } from './download-plan.ts';
import { parseContentRange, sha256FromEtag } from './store.ts';

const HUB = 'https://hub.example';
const smollm = BUILTIN_CATALOG.find((e) => e.id === 'smollm2-135m-instruct')!;
const request = { hubUrl: HUB, repo: smollm.repo, revision: 'main', dtype: 'q4' as const };

describe('planFiles', () => {
  it('lists config, tokenizer, the dtype’s ONNX file and the optional generation config, at the hub’s URLs', () => {
    const plan = planFiles(request, {}, smollm);
    expect(plan.map((f) => [f.path, f.optional])).toEqual([
      ['config.json', false],
      ['tokenizer.json', false],
      ['tokenizer_config.json', false],
      ['onnx/model_q4.onnx', false],
      ['generation_config.json', true],
    ]);
    expect(plan[3].url).toBe(`${HUB}/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/onnx/model_q4.onnx`);
    // Unpinned: sizes are the catalog's estimates (the published file is 200 MB), and nothing is expected exactly.
    expect(plan[3].size).toBeGreaterThan(190e6);
    expect(plan[3].size).toBeLessThan(210e6);
    expect(plan.every((f) => f.expected.sha256 === undefined)).toBe(true);
  });

  it('a pin gives exact sizes and hashes, its external data, and drops an optional file the revision lacks', () => {
    const revision = 'f'.repeat(40);
    const file = (size: number, c: string) => ({ size, sha256: c.repeat(64) });
    const entry = {
      ...smollm,
      revision,
      pinned: true,
      onnx: {
        ...smollm.onnx!,
        revision,
        files: {
          'config.json': file(800, 'a'),
          'tokenizer.json': file(2_000_000, 'b'),
          'tokenizer_config.json': file(3_000, 'c'),
          'onnx/model_q4.onnx': file(1_000, 'd'),
          'onnx/model_q4.onnx_data': file(2_500_000_000, 'e'),
          'onnx/model.onnx': file(9, '0'),
        },
      },
    };
    const pinned = { ...request, revision };
    const plan = planFiles(pinned, pinnedFiles(entry, pinned), entry);
    expect(plan.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_q4.onnx',
      'onnx/model_q4.onnx_data',
    ]);
    expect(plan[4]).toMatchObject({
      size: 2_500_000_000,
      expected: { size: 2_500_000_000, sha256: 'e'.repeat(64) },
    });
    // Another revision than the pinned one gets no pins.
    expect(pinnedFiles(entry, request)).toEqual({});
  });

  it('a model known only by its repository has no sizes until the hub answers', () => {
    const extra = minimalEntry({ id: 'x', repo: 'org/x', dtypes: ['q8'] }, 'extra');
    const plan = planFiles({ ...request, repo: 'org/x', dtype: 'q8' }, {}, extra);
    expect(plan.map((f) => f.size)).toEqual([null, null, null, null, null]);
  });
});

describe('hub headers', () => {
  it('reads Content-Range and refuses what is not one', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, size: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, size: 0 });
    expect(parseContentRange('bytes */1000')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });

  it('takes a SHA-256 from an ETag only when it is one (quoted, weak or bare), never a git SHA-1', () => {
    const hex = 'AB'.repeat(32);
    expect(sha256FromEtag(`"${hex}"`)).toBe(hex.toLowerCase());
    expect(sha256FromEtag(`W/"${hex}"`)).toBe(hex.toLowerCase());
    expect(sha256FromEtag('"3a4f1c9e0b5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f"')).toBeNull();
    expect(sha256FromEtag('W/"2a-5e4f"')).toBeNull();
    expect(sha256FromEtag(null)).toBeNull();
  });
});

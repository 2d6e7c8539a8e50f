import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG, buildCatalog, onnxFileFor } from './catalog.ts';
import pins from './catalog-pins.json';

/** web-llm's own list of prebuilt models, from the installed package: the catalog's MLC builds must be in it. */
async function webllmModels(): Promise<
  Map<string, { vram_required_MB?: number; model_lib: string; model: string }>
> {
  const { prebuiltAppConfig } = await import('@mlc-ai/web-llm');
  return new Map(prebuiltAppConfig.model_list.map((r) => [r.model_id, r]));
}

describe('the built-in catalog', () => {
  it('covers every family the product asks for', () => {
    const families = new Set(BUILTIN_CATALOG.map((e) => e.family));
    for (const f of [
      'SmolLM2',
      'Qwen2.5',
      'Llama 3.2',
      'Phi-3.5',
      'Gemma 2',
      'Mistral',
      'Ministral',
      'GPT-Neo',
      'Falcon',
      'MPT',
    ])
      expect(families, f).toContain(f);
    const ids = BUILTIN_CATALOG.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never claims a pin it does not have: revisions are 40-hex commits or null, hashes 64-hex', () => {
    for (const e of BUILTIN_CATALOG) {
      expect(e.revision === null || /^[0-9a-f]{40}$/.test(e.revision), e.id).toBe(true);
      expect(e.pinned, e.id).toBe(e.revision !== null);
      for (const [path, file] of Object.entries(e.onnx?.files ?? {})) {
        expect(file.sha256, `${e.id} ${path}`).toMatch(/^[0-9a-f]{64}$/);
        expect(file.size, `${e.id} ${path}`).toBeGreaterThan(0);
      }
      // A pinned entry lists the ONNX file of every dtype it offers.
      if (e.pinned)
        for (const d of e.onnx!.dtypes) expect(e.onnx!.files[onnxFileFor(d)], `${e.id} ${d}`).toBeDefined();
    }
    expect(Object.keys((pins as { repos: object }).repos).length).toBe(
      BUILTIN_CATALOG.filter((e) => e.pinned).length,
    );
  });

  it('every entry can be judged: a browser build or the reason there is none, a licence, openness, a use', () => {
    for (const e of BUILTIN_CATALOG) {
      const builds = (e.onnx ? 1 : 0) + e.mlc.length;
      expect(builds > 0 || (e.noBrowserBuild?.length ?? 0) > 20, e.id).toBe(true);
      expect(e.license.name, e.id).not.toBe('');
      expect(e.license.url, e.id).toMatch(/^https:\/\//);
      expect(e.trainingDataNote.length, e.id).toBeGreaterThan(5);
      expect(e.goodFor.length, e.id).toBeGreaterThan(10);
      expect(e.paramCount, e.id).toBeGreaterThan(1e8);
    }
  });

  it('its MLC builds are the ones web-llm 0.2.86 ships, with the same memory needs and libraries', async () => {
    const known = await webllmModels();
    for (const e of BUILTIN_CATALOG) {
      for (const b of e.mlc) {
        const record = known.get(b.modelId);
        expect(record, b.modelId).toBeDefined();
        expect(record!.vram_required_MB, b.modelId).toBeCloseTo(b.vramMB, 1);
        expect(record!.model_lib.endsWith(`/${b.modelLib}`), b.modelId).toBe(true);
        expect(record!.model, b.modelId).toBe(`https://huggingface.co/${b.repo}`);
      }
    }
  });

  it('a deployment’s extra models come first and replace built-ins with the same id; bad ones are skipped', () => {
    const catalog = buildCatalog(
      JSON.stringify([
        { id: 'mine', repo: 'org/mine', dtypes: ['q8'] },
        { id: 'smollm2-135m-instruct', repo: 'mirror/SmolLM2', dtypes: ['q4'] },
        { id: 'bad', repo: 'org/bad', dtypes: ['int3'] },
        { repo: 'org/no-id', dtypes: ['q8'] },
      ]),
    );
    expect(catalog.slice(0, 2).map((e) => [e.id, e.repo, e.source])).toEqual([
      ['mine', 'org/mine', 'extra'],
      ['smollm2-135m-instruct', 'mirror/SmolLM2', 'extra'],
    ]);
    expect(catalog.filter((e) => e.id === 'smollm2-135m-instruct')).toHaveLength(1);
    expect(catalog.some((e) => e.id === 'bad')).toBe(false);
    expect(buildCatalog('not json')).toEqual(BUILTIN_CATALOG);
  });
});

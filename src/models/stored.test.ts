import { describe, expect, it } from 'vitest';
import type { MlcBuild } from './catalog.ts';
import { modelPrefix, type StoredModel } from './store.ts';
import { hasStoredBuild, keptModels, storedBuildsOf } from './stored.ts';

const HUB = 'https://huggingface.co';

function stored(hubUrl: string, repo: string, revision: string, dtypes: string[]): StoredModel {
  return {
    prefix: modelPrefix(hubUrl, repo, revision),
    hubUrl,
    repo,
    revision,
    commit: null,
    dtypes,
    source: 'hub',
    bytes: 1,
    files: [],
    partialBytes: 0,
    complete: dtypes.length > 0,
    addedAt: 1,
    lastUsed: 1,
  };
}

const MLC: MlcBuild = {
  modelId: 'SmolLM2-135M-Instruct-q0f32-MLC',
  repo: 'mlc-ai/SmolLM2-135M-Instruct-q0f32-MLC',
  quantization: 'q0f32',
  shaderF16: false,
  vramMB: 600,
  contextWindow: 4096,
  modelLib: 'x.wasm',
};
const entry = { repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: null, mlc: [MLC] };

describe('what of a catalog entry is stored', () => {
  it('lists the complete ONNX dtypes of the entry’s revision on the hub in use', () => {
    const builds = storedBuildsOf(entry, HUB, keptModels([stored(HUB, entry.repo, 'main', ['q8'])]));
    expect([...builds.onnx]).toEqual(['q8']);
    expect(builds.mlc.size).toBe(0);
    expect(hasStoredBuild(builds)).toBe(true);
  });

  it('does not count an interrupted download, another revision or another hub', () => {
    const models = [
      stored(HUB, entry.repo, 'main', []),
      stored(HUB, entry.repo, '0123456789abcdef0123456789abcdef01234567', ['q4']),
      stored('https://mirror.example', entry.repo, 'main', ['fp32']),
    ];
    expect(hasStoredBuild(storedBuildsOf(entry, HUB, keptModels(models)))).toBe(false);
    expect([
      ...storedBuildsOf({ ...entry, hubUrl: 'https://mirror.example' }, HUB, keptModels(models)).onnx,
    ]).toEqual(['fp32']);
  });

  it('finds web-llm builds by their own repository and quantization', () => {
    const builds = storedBuildsOf(entry, HUB, keptModels([stored(HUB, MLC.repo, 'main', ['q0f32'])]));
    expect([...builds.mlc]).toEqual(['q0f32']);
    expect(builds.onnx.size).toBe(0);
  });
});

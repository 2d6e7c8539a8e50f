import { describe, expect, it } from 'vitest';
import { memoryBudget, type Capabilities, type GpuCapability } from './capabilities.ts';
import { BUILTIN_CATALOG, minimalEntry, type CatalogEntry } from './catalog.ts';
import { chooseRuntime, largestThatFits, type ChoiceResult } from './chooser.ts';

const entry = (id: string): CatalogEntry => {
  const found = BUILTIN_CATALOG.find((e) => e.id === id);
  if (!found) throw new Error(`no catalog entry ${id}`);
  return found;
};

const GIB = 2 ** 30;
const desktopGpu: GpuCapability = {
  adapter: 'nvidia ampere',
  isFallback: false,
  shaderF16: true,
  maxBufferSize: 4 * GIB,
  maxStorageBufferBindingSize: 2 * GIB,
};
/** What Chromium's SwiftShader reports on this machine: no shader-f16, 1 GiB buffers. */
const swiftShader: GpuCapability = {
  adapter: 'google swiftshader',
  isFallback: true,
  shaderF16: false,
  maxBufferSize: GIB,
  maxStorageBufferBindingSize: GIB,
};
const plenty = { quota: 100e9, usage: 1e9, persisted: false };

const device = (over: Partial<Capabilities>): Capabilities => ({
  webgpu: null,
  deviceMemoryGB: 8,
  cores: 8,
  crossOriginIsolated: true,
  storage: plenty,
  ...over,
});

const DEVICES = {
  'laptop, no WebGPU': device({}),
  'desktop GPU with shader-f16': device({ webgpu: desktopGpu }),
  'SwiftShader (WebGPU without f16)': device({ webgpu: swiftShader }),
  'phone with 1 GB': device({ deviceMemoryGB: 1, cores: 4 }),
  'phone with 2 GB and a small GPU': device({
    deviceMemoryGB: 2,
    webgpu: { ...desktopGpu, shaderF16: false, maxBufferSize: 256e6, maxStorageBufferBindingSize: 128e6 },
  }),
  '300 MB of quota left': device({ storage: { quota: 2e9, usage: 1.7e9, persisted: false } }),
  'SwiftShader with 1.2 GB of quota left': device({
    webgpu: swiftShader,
    storage: { quota: 3e9, usage: 1.8e9, persisted: false },
  }),
  'not cross-origin isolated': device({ crossOriginIsolated: false }),
  'browser that reports no memory': device({ deviceMemoryGB: null }),
} as const satisfies Record<string, Capabilities>;

type Expected = string;
/** `backend device dtype`, or `✗ code: reason fragment`. */
function summary(result: ChoiceResult): Expected {
  if (!result.ok) return `✗ ${result.code}: ${result.reason}`;
  return result.backend === 'transformers' ? `${result.device} ${result.dtype}` : `webllm ${result.modelId}`;
}

const TABLE: [model: string, device: keyof typeof DEVICES, expected: RegExp][] = [
  ['smollm2-135m-instruct', 'laptop, no WebGPU', /^wasm q8$/],
  ['smollm2-135m-instruct', 'desktop GPU with shader-f16', /^webgpu q4$/],
  ['smollm2-135m-instruct', 'SwiftShader (WebGPU without f16)', /^webgpu q4$/],
  // The bench measured 200 MB for the runtime plus 2.3× the 8-bit file at its peak: about 570 MB, over half of 1 GB.
  [
    'smollm2-135m-instruct',
    'phone with 1 GB',
    /^✗ model-too-large: Needs about 5\d\d MB of memory at its peak, more than this tab can count on \(about 500 MB: this device reports 1 GB/,
  ],
  // Committing a file briefly stores it twice: 166 MB of 8-bit files need 330 MB free.
  [
    'smollm2-135m-instruct',
    '300 MB of quota left',
    /^✗ storage-quota: Needs 3\d\d MB of storage; this browser allows 300 MB more \(8-bit on WASM, the smallest option\)/,
  ],
  ['smollm2-135m-instruct', 'not cross-origin isolated', /^wasm q8$/],
  [
    'smollm2-360m-instruct',
    'phone with 1 GB',
    /^✗ model-too-large: Needs about 1\.\d GB of memory at its peak/,
  ],
  ['smollm2-135m-instruct', 'phone with 2 GB and a small GPU', /^webgpu q4$/],
  // 4-bit (1.5 GB with its commit copy) does not fit the storage left; 8-bit does (q8 has no WebGPU kernel, but fits).
  ['qwen2.5-0.5b-instruct', 'SwiftShader with 1.2 GB of quota left', /^webgpu q8$/],
  [
    'smollm2-1.7b-instruct',
    'phone with 1 GB',
    /^✗ model-too-large: Needs about \d+\.\d GB of memory at its peak, more than this tab can count on \(about 500 MB: this device reports 1 GB.*on WASM, the smallest option\)/,
  ],
  ['smollm2-1.7b-instruct', 'laptop, no WebGPU', /^wasm q8$/],
  [
    'qwen2.5-0.5b-instruct',
    'phone with 2 GB and a small GPU',
    /^✗ model-too-large: .*about 1\.0 GB: this device reports 2 GB/,
  ],
  [
    'qwen2.5-0.5b-instruct',
    '300 MB of quota left',
    /^✗ storage-quota: Needs .* of storage; this browser allows 300 MB more/,
  ],
  ['qwen2.5-1.5b-instruct', 'desktop GPU with shader-f16', /^webgpu q4$/],
  [
    'llama-3.2-3b-instruct',
    'laptop, no WebGPU',
    /^✗ model-too-large: .* on WASM, which can address at most 4 GiB/,
  ],
  ['llama-3.2-3b-instruct', 'desktop GPU with shader-f16', /^webgpu q4$/],
  [
    'llama-3.2-3b-instruct',
    'phone with 2 GB and a small GPU',
    /^✗ model-too-large: Needs about .* of memory at its peak, more than this tab can count on \(about 1\.0 GB: this device reports 2 GB/,
  ],
  ['phi-3.5-mini-instruct', 'desktop GPU with shader-f16', /^✗ unsupported-dtype: .*only as 4-bit \(f16\)/],
  [
    'gemma-2-2b-it',
    'desktop GPU with shader-f16',
    /^✗ unsupported-dtype: Only a web-llm \(MLC\) build exists; it needs the web-llm backend/,
  ],
  ['gemma-2-2b-it', 'laptop, no WebGPU', /^✗ unsupported-dtype: .*needs WebGPU, which this browser lacks/],
  ['mistral-7b-instruct-v0.3', 'laptop, no WebGPU', /^✗ unsupported-dtype/],
  [
    'ministral-8b-instruct-2410',
    'desktop GPU with shader-f16',
    /^✗ no-browser-build: There is no ONNX or MLC build/,
  ],
  ['mpt-7b-instruct', 'laptop, no WebGPU', /^✗ no-browser-build/],
  ['gpt-neo-125m', 'browser that reports no memory', /^wasm q8$/],
  ['falcon-rw-1b', 'laptop, no WebGPU', /^wasm q8$/],
];

describe('chooseRuntime across simulated devices', () => {
  it.each(TABLE)('%s on %s', (model, name, expected) => {
    expect(summary(chooseRuntime(entry(model), DEVICES[name]))).toMatch(expected);
  });

  it('with web-llm enabled, a GPU with f16 gets the q4f16 MLC build, one without gets q4f32', () => {
    const prefs = { backends: ['webllm', 'transformers'] as const };
    const model = entry('smollm2-360m-instruct');
    expect(summary(chooseRuntime(model, DEVICES['desktop GPU with shader-f16'], prefs))).toBe(
      'webllm SmolLM2-360M-Instruct-q4f16_1-MLC',
    );
    expect(summary(chooseRuntime(model, DEVICES['SwiftShader (WebGPU without f16)'], prefs))).toBe(
      'webllm SmolLM2-360M-Instruct-q4f32_1-MLC',
    );
    // A web-llm build too big for the device's memory falls back to transformers.js.
    const mistral = chooseRuntime(
      entry('mistral-7b-instruct-v0.3'),
      device({ webgpu: desktopGpu, deviceMemoryGB: 4 }),
      prefs,
    );
    expect(summary(mistral)).toMatch(
      /^✗ model-too-large: Needs 4\.6 GB of GPU memory; this device reports 4 GB \(q4f16_1 on web-llm/,
    );
  });

  it('explains a smaller dtype and a single thread', () => {
    const result = chooseRuntime(
      entry('qwen2.5-0.5b-instruct'),
      DEVICES['SwiftShader with 1.2 GB of quota left'],
    );
    expect(result.ok && result.notes.join(' ')).toMatch(/4-bit on WebGPU needs 1\.\d GB of storage/);
    expect(result.ok && result.notes.join(' ')).toMatch(/software adapter/);
    const single = chooseRuntime(entry('smollm2-135m-instruct'), DEVICES['not cross-origin isolated']);
    expect(single.ok && single.reason).toMatch(/1 thread/);
    expect(single.ok && single.notes.join(' ')).toMatch(/not cross-origin isolated/);
    expect(single.ok && single.notes.join(' ')).toMatch(/Revision not pinned yet/);
  });

  it('bytes already stored need no new space', () => {
    const model = entry('qwen2.5-0.5b-instruct');
    const tight = DEVICES['300 MB of quota left'];
    expect(chooseRuntime(model, tight).ok).toBe(false);
    const stored = chooseRuntime(model, tight, { storedBytes: { q8: 1e9 } });
    expect(summary(stored)).toBe('wasm q8');
  });

  it('honours a forced device and dtype, and says when the model lacks it', () => {
    const model = entry('smollm2-135m-instruct');
    expect(summary(chooseRuntime(model, DEVICES['desktop GPU with shader-f16'], { device: 'wasm' }))).toBe(
      'wasm q8',
    );
    const noFp32 = chooseRuntime(entry('smollm2-1.7b-instruct'), DEVICES['laptop, no WebGPU'], {
      dtype: 'fp32',
    });
    expect(summary(noFp32)).toMatch(/^✗ unsupported-dtype: This model has no 32-bit build/);
  });

  it('an entry from an extra list (unknown size) still gets a choice', () => {
    const extra = minimalEntry(
      { id: 'tiny', repo: 'petit-test/tiny-llama', dtypes: ['fp32', 'q8'] },
      'extra',
    );
    expect(summary(chooseRuntime(extra, DEVICES['SwiftShader (WebGPU without f16)']))).toBe('webgpu fp32');
    expect(summary(chooseRuntime(extra, DEVICES['laptop, no WebGPU']))).toBe('wasm q8');
  });
});

describe('the memory budget a tab can count on', () => {
  const IPHONE =
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';

  it('is half of what the device reports, none at Chromium’s cap of 8 GB, and 1.5 GB on iOS whatever it reports', () => {
    expect(memoryBudget(2, 'Chrome', null)?.bytes).toBe(1e9);
    expect(memoryBudget(8, 'Chrome', null)).toBeNull();
    expect(memoryBudget(null, 'Firefox', null)).toBeNull();
    expect(memoryBudget(null, IPHONE, null)).toMatchObject({
      bytes: 1.5e9,
      reason: expect.stringMatching(/Safari on iOS/),
    });
    expect(memoryBudget(4, IPHONE, null)?.bytes).toBe(1.5e9);
  });

  it('remembers a model that ran out of memory here, and refuses one as large before its download', () => {
    const budget = memoryBudget(8, 'Chrome', 700e6);
    expect(budget).toMatchObject({
      bytes: 700e6,
      reason: expect.stringMatching(/ran out of memory on this device before/),
    });
    const laptop = device({ memoryBudget: budget });
    expect(summary(chooseRuntime(entry('smollm2-360m-instruct'), laptop))).toMatch(
      /^✗ model-too-large: .*ran out of memory/,
    );
  });

  it('suggests the largest catalog model that fits when the one asked for does not', () => {
    const phone = device({ deviceMemoryGB: 2, cores: 4 });
    const models = ['smollm2-135m-instruct', 'smollm2-360m-instruct', 'qwen2.5-0.5b-instruct'].map(entry);
    expect(chooseRuntime(models[2], phone).ok).toBe(false);
    expect(largestThatFits(models, phone)?.entry.id).toBe('smollm2-135m-instruct');
    expect(largestThatFits(models, device({}))?.entry.id).toBe('qwen2.5-0.5b-instruct');
    expect(largestThatFits(models, device({ deviceMemoryGB: 0.25 }))).toBeNull();
  });
});

describe('the choice as codes, for an app to word in its own language', () => {
  it('gives the reason and each note as a code with the facts the English sentence states', () => {
    const ok = chooseRuntime(entry('smollm2-135m-instruct'), DEVICES['not cross-origin isolated']);
    expect(ok.ok && ok.message).toEqual({ code: 'wasm', dtype: 'q8', threads: 1, webgpu: false });
    expect(ok.ok && ok.noteMessages.map((m) => m.code)).toEqual(
      ok.ok && ok.notes.map((n) => (/cross-origin/.test(n) ? 'single-thread' : 'not-pinned')),
    );
    const no = chooseRuntime(entry('smollm2-135m-instruct'), DEVICES['phone with 1 GB']);
    expect(no.ok).toBe(false);
    expect(!no.ok && no.message).toMatchObject({
      code: 'smallest-does-not-fit',
      option: { backend: 'transformers', device: 'wasm' },
      shortfall: { kind: 'memory-budget', budget: { kind: 'device-memory', deviceMemoryGB: 1 } },
    });
  });
});

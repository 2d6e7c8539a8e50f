import { createHash } from 'node:crypto';

/** Fixed addresses of the end-to-end setup: the app is built knowing the hub's URL. */
// Overridable so that two runs on one machine (two developers, or a bench beside the tests) do not meet.
export const APP_PORT = Number(process.env.PETIT_E2E_APP_PORT ?? 4173);
export const HUB_PORT = Number(process.env.PETIT_E2E_HUB_PORT ?? 8790);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;
export const HUB_URL = `http://127.0.0.1:${HUB_PORT}`;
/** Playwright's JSON report, which scripts/test-all.ts counts: one per app port, like the build folder. */
export const E2E_REPORT = `test-results/e2e-${APP_PORT}.json`;
/** The fake remote model provider (tools/fake-provider) the escalation e2e points the app at in its settings. */
export const PROVIDER_PORT = Number(process.env.PETIT_E2E_PROVIDER_PORT ?? 8796);
export const PROVIDER_URL = `http://127.0.0.1:${PROVIDER_PORT}`;
/** The only key the fake provider accepts besides its default: distinctive, so a leak is easy to find. */
export const PROVIDER_KEY = 'sk-petit-e2e-7f3a9c1d5b2e8f40';

/** Models the e2e hub serves (forged in global-setup) and the catalog entries the e2e build lists. */
export const TINY_MODEL = 'petit-test/tiny-llama';
/** The exact SmolLM2-135M shape (random weights, q4): realistic size and speed; shared with the forge's unit test. */
export const SMOLLM_SHAPED_MODEL = 'petit/smollm2-135m';
export const STORIES_MODEL = 'petit-test/stories260K';
export const BAD_CONFIG_MODEL = 'petit-broken/bad-config';
export const HALF_ONNX_MODEL = 'petit-broken/half-onnx';
export const MISSING_MODEL = 'petit-broken/does-not-exist';

/**
 * Models for the model manager's tests (e2e/models.spec.ts): copies of the tiny model whose generation_config.json
 * has bytes fixed here, so the e2e catalog can pin its size and SHA-256 before the models are forged — one pin
 * right, one wrong (to see the catalog's hash refuse a file).
 */
export const PINNED_MODEL = 'petit-test/tiny-pinned';
/** The tiny model with its size in the catalog (parameters and shape), so a quota check needs no request at all. */
export const SIZED_MODEL = 'petit-test/tiny-sized';
export const BAD_PIN_MODEL = 'petit-test/tiny-bad-pin';
export const PINNED_REVISION = '0123456789abcdef0123456789abcdef01234567';
export const PINNED_GENERATION_CONFIG =
  '{\n  "bos_token_id": 1,\n  "eos_token_id": 2,\n  "pad_token_id": 2\n}\n';
const pinnedConfig = {
  size: Buffer.byteLength(PINNED_GENERATION_CONFIG),
  sha256: createHash('sha256').update(PINNED_GENERATION_CONFIG).digest('hex'),
};
/** A second hub serving the same folder, standing in for a corporate mirror set in Settings. */
export const MIRROR_PORT = Number(process.env.PETIT_E2E_MIRROR_PORT ?? 8795);
export const MIRROR_URL = `http://127.0.0.1:${MIRROR_PORT}`;

export const MODEL_MANAGER_CATALOG = [
  {
    id: 'tiny-sized',
    label: 'Tiny, size in the catalog (test)',
    repo: SIZED_MODEL,
    dtypes: ['fp32', 'q8'],
    contextLength: 512,
    paramCount: 156_480,
    architecture: { vocabSize: 1024, hiddenSize: 64, layers: 2, heads: 4, kvHeads: 2, tiedEmbeddings: true },
  },
  {
    id: 'tiny-pinned',
    label: 'Tiny, pinned (test)',
    repo: PINNED_MODEL,
    revision: PINNED_REVISION,
    dtypes: ['q8'],
    contextLength: 512,
    files: { 'generation_config.json': pinnedConfig },
  },
  {
    id: 'tiny-bad-pin',
    label: 'Broken: pinned hash differs',
    repo: BAD_PIN_MODEL,
    revision: PINNED_REVISION,
    dtypes: ['q8'],
    contextLength: 512,
    files: { 'generation_config.json': { ...pinnedConfig, sha256: '0'.repeat(64) } },
  },
];

/**
 * web-llm's e2e entry (e2e/webllm.spec.ts): the tiny ONNX model under its own repository plus an MLC build whose
 * model library the local hub does not have, so web-llm is chosen on WebGPU, fails to load, and transformers.js
 * takes over.
 */
export const MLC_ONNX_MODEL = 'petit-test/tiny-with-mlc';
export const MLC_BUILD = {
  modelId: 'Tiny-q0f32-MLC',
  repo: 'petit-test/Tiny-q0f32-MLC',
  quantization: 'q0f32',
  shaderF16: false,
  vramMB: 16,
  contextWindow: 512,
  modelLib: 'Tiny-q0f32_cs1k-webgpu.wasm',
} as const;
export const MLC_CATALOG_ENTRY = {
  id: 'tiny-mlc',
  label: 'Tiny with a web-llm build (test)',
  repo: MLC_ONNX_MODEL,
  dtypes: ['fp32'],
  contextLength: 512,
  mlc: [MLC_BUILD],
};

export const E2E_CATALOG = [
  {
    id: 'tiny-llama',
    label: 'Tiny Llama (test)',
    repo: TINY_MODEL,
    dtypes: ['fp32', 'q8'],
    contextLength: 512,
  },
  {
    id: 'smollm2-135m-shape',
    label: 'SmolLM2-135M shape (random)',
    repo: SMOLLM_SHAPED_MODEL,
    dtypes: ['q4'],
    contextLength: 8192,
  },
  { id: 'stories260k', label: 'Stories 260K', repo: STORIES_MODEL, dtypes: ['fp32'], contextLength: 512 },
  { id: 'bad-config', label: 'Broken: bad config', repo: BAD_CONFIG_MODEL, dtypes: ['fp32'] },
  { id: 'half-onnx', label: 'Broken: ONNX cut in half', repo: HALF_ONNX_MODEL, dtypes: ['fp32'] },
  { id: 'missing', label: 'Broken: not on the hub', repo: MISSING_MODEL, dtypes: ['fp32'] },
  ...MODEL_MANAGER_CATALOG,
  MLC_CATALOG_ENTRY,
];

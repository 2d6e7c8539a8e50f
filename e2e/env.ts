/** Fixed addresses of the end-to-end setup: the app is built knowing the hub's URL. */
export const APP_PORT = 4173;
export const HUB_PORT = 8790;
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;
export const HUB_URL = `http://127.0.0.1:${HUB_PORT}`;

/** Models the e2e hub serves (forged in global-setup) and the catalog entries the e2e build lists. */
export const TINY_MODEL = 'petit-test/tiny-llama';
export const STORIES_MODEL = 'petit-test/stories260K';
export const BAD_CONFIG_MODEL = 'petit-broken/bad-config';
export const HALF_ONNX_MODEL = 'petit-broken/half-onnx';
export const MISSING_MODEL = 'petit-broken/does-not-exist';

export const E2E_CATALOG = [
  {
    id: 'tiny-llama',
    label: 'Tiny Llama (test)',
    repo: TINY_MODEL,
    dtypes: ['fp32', 'q8'],
    contextLength: 512,
  },
  { id: 'stories260k', label: 'Stories 260K', repo: STORIES_MODEL, dtypes: ['fp32'], contextLength: 512 },
  { id: 'bad-config', label: 'Broken: bad config', repo: BAD_CONFIG_MODEL, dtypes: ['fp32'] },
  { id: 'half-onnx', label: 'Broken: ONNX cut in half', repo: HALF_ONNX_MODEL, dtypes: ['fp32'] },
  { id: 'missing', label: 'Broken: not on the hub', repo: MISSING_MODEL, dtypes: ['fp32'] },
];

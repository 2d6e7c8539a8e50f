/** Petit's public library: an OpenAI-style client for small models running in the browser. */
export { PetitEngine, type PetitEngineOptions } from './engine/petit-engine.ts';
export { PetitError, ERROR_CODES, isPetitError, type PetitErrorCode } from './engine/errors.ts';
export type * from './engine/protocol.ts';
export type * from './engine/types.ts';
export { DEVICES, DTYPES, BACKENDS, DEFAULT_HUB_URL } from './engine/types.ts';

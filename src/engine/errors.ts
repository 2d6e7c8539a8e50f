/**
 * Every error Petit throws is a PetitError with a `code` from this closed list. Codes survive the worker
 * boundary (see `serializeError` / `deserializeError`), so callers and tests branch on `err.code`, never on
 * message text. Messages say what happened and what to do next.
 */
export const ERROR_CODES = [
  // requests
  'invalid-request',
  'aborted',
  'not-loaded',
  'context-length-exceeded',
  // models and the hub
  'unknown-model',
  'model-not-found',
  'hub-unreachable',
  'hub-error',
  'invalid-model-config',
  'invalid-model-file',
  'integrity-mismatch',
  'storage-quota',
  'download-failed',
  'model-too-large',
  // runtime
  'webgpu-unavailable',
  'backend-unavailable',
  'out-of-memory',
  'worker-crashed',
  'backend-error',
  // remote escalation
  'consent-required',
  'remote-auth',
  'remote-rate-limited',
  'remote-server-error',
  'remote-timeout',
  'remote-stream-dropped',
  'remote-bad-response',
  // storage
  'storage-error',
  'import-invalid',
  // remote escalation (appended): the provider's host could not be reached (offline, DNS, CORS, server not running)
  'remote-unreachable',
] as const;

export type PetitErrorCode = (typeof ERROR_CODES)[number];

export interface PetitErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts (status code, file name, retry-after seconds…). Plain JSON only. */
  details?: Record<string, unknown>;
}

export class PetitError extends Error {
  readonly code: PetitErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: PetitErrorCode, message: string, options: PetitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    // An aborted call reads like fetch's: `err.name === 'AbortError'` keeps working in code written for fetch.
    this.name = code === 'aborted' ? 'AbortError' : 'PetitError';
  }
}

export function isPetitError(value: unknown, code?: PetitErrorCode): value is PetitError {
  return value instanceof PetitError && (code === undefined || value.code === code);
}

export function abortError(message = 'The request was cancelled.'): PetitError {
  return new PetitError('aborted', message);
}

/** Throws the PetitError for an aborted signal; call at every await point of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

export interface SerializedPetitError {
  __petitError: true;
  code: PetitErrorCode;
  message: string;
  details: Record<string, unknown>;
  stack?: string;
}

function isErrorCode(value: unknown): value is PetitErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Wraps anything thrown into a PetitError, keeping an existing code. `fallback` names the code for unknowns. */
export function toPetitError(value: unknown, fallback: PetitErrorCode = 'backend-error'): PetitError {
  if (value instanceof PetitError) return value;
  if (value instanceof Error && value.name === 'AbortError') return abortError();
  const message = value instanceof Error ? value.message : String(value);
  return new PetitError(fallback, message || 'An unexpected error occurred.', { cause: value });
}

export function serializeError(value: unknown): SerializedPetitError {
  const error = toPetitError(value);
  return {
    __petitError: true,
    code: error.code,
    message: error.message,
    details: JSON.parse(JSON.stringify(error.details ?? {})) as Record<string, unknown>,
    stack: error.stack,
  };
}

export function isSerializedPetitError(value: unknown): value is SerializedPetitError {
  return typeof value === 'object' && value !== null && (value as SerializedPetitError).__petitError === true;
}

export function deserializeError(value: SerializedPetitError): PetitError {
  const error = new PetitError(isErrorCode(value.code) ? value.code : 'backend-error', value.message, {
    details: value.details,
  });
  if (value.stack) error.stack = value.stack;
  return error;
}

import { PetitError, isPetitError } from '../../src/engine/errors.ts';

/** web-llm's failures as typed errors (its error classes are lib/error.ts). */
/** Names of web-llm's error classes (lib/error.ts) that mean WebGPU cannot run this build here. */
const NO_GPU_ERRORS = new Set([
  'WebGPUNotAvailableError',
  'WebGPUNotFoundError',
  'ShaderF16SupportError',
  'FeatureSupportError',
]);

/**
 * web-llm's errors (lib/error.ts) for a request it refuses before touching its state: the request is wrong, the
 * model is fine. Mapped to `invalid-request` so the engine does not treat them as a crash and reload the model.
 */
const REQUEST_ERRORS = new Set([
  'MessageOrderError',
  'SystemMessageOrderError',
  'ContentTypeError',
  'UnsupportedRoleError',
  'UserMessageContentError',
  'UnsupportedContentPartError',
  'MultipleTextContentError',
  'UnsupportedFieldsError',
  'StreamingCountError',
  'SeedTypeError',
  'MinValueError',
  'NonNegativeError',
  'ConfigValueError',
  'InvalidResponseFormatError',
  'InvalidResponseFormatGrammarError',
  'InvalidResponseFormatStructuralTagError',
  'CustomResponseFormatError',
  'CustomSystemPromptError',
  'InvalidStreamOptionsError',
]);

/** Turns what web-llm throws into a PetitError whose code says what to do; `details.backend` marks its origin. */
export function toWebLlmError(error: unknown, stage: 'load' | 'generate'): PetitError {
  if (isPetitError(error)) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const details = { backend: 'webllm', device: 'webgpu', stage, name };
  if (stage === 'generate' && name === 'ContextWindowSizeExceededError') {
    return new PetitError(
      'context-length-exceeded',
      `The conversation is longer than the model's context (${message.split('\n')[0]}). Start a new conversation or shorten the messages.`,
      { cause: error, details },
    );
  }
  if (stage === 'generate' && REQUEST_ERRORS.has(name)) {
    return new PetitError('invalid-request', `web-llm refused the request: ${message.slice(0, 300)}`, {
      cause: error,
      details,
    });
  }
  if (NO_GPU_ERRORS.has(name)) {
    return new PetitError('webgpu-unavailable', `web-llm cannot run here: ${message}`, {
      cause: error,
      details,
    });
  }
  if (name === 'DeviceLostError' || /device (was )?lost/i.test(message)) {
    return new PetitError(
      stage === 'load' ? 'out-of-memory' : 'backend-error',
      `The GPU device was lost ${stage === 'load' ? 'while loading' : 'while answering'} (usually out of GPU memory). Choose a smaller model or close other GPU-heavy tabs, then try again.`,
      { cause: error, details },
    );
  }
  if (/out of memory|OOM|allocation failed|failed to allocate/i.test(message)) {
    return new PetitError(
      'out-of-memory',
      'The GPU ran out of memory for this model. Choose a smaller model or quantization.',
      { cause: error, details },
    );
  }
  if (
    stage === 'load' &&
    (name === 'MissingModelWasmError' ||
      name === 'MissingModelError' ||
      /wasm|LinkError|CompileError|instantiate|model_lib|library/i.test(message))
  ) {
    return new PetitError(
      'backend-unavailable',
      `The web-llm model library could not be loaded (${message.slice(0, 200)}). Petit can run this model with transformers.js instead.`,
      { cause: error, details },
    );
  }
  return new PetitError('backend-error', `web-llm failed: ${message.slice(0, 300)}`, {
    cause: error,
    details,
  });
}

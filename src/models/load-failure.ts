import { PetitError } from '../engine/errors.ts';
import type { Device } from '../engine/types.ts';

/**
 * The typed error for a runtime that could not load files already complete in the store. `invalid-model-file` and
 * `invalid-model-config` mean the files themselves are bad: the caller removes them so a retry downloads afresh.
 */
export function classifyLoadFailure(error: unknown, device: Device): PetitError {
  const message = error instanceof Error ? error.message : String(error);
  if (device === 'webgpu') {
    return new PetitError('webgpu-unavailable', `WebGPU could not run this model: ${message}`, {
      cause: error,
      details: { device: 'webgpu' },
    });
  }
  if (/tokenizer|chat_template|JSON/i.test(message) && !/onnx|protobuf|session/i.test(message)) {
    return new PetitError('invalid-model-config', `The model's tokenizer files cannot be read: ${message}`, {
      cause: error,
    });
  }
  if (/memory|allocation|OOM/i.test(message)) {
    return new PetitError(
      'out-of-memory',
      `This device ran out of memory loading the model. Choose a smaller model or dtype.`,
      { cause: error },
    );
  }
  return new PetitError(
    'invalid-model-file',
    `The model file could not be read (${message.slice(0, 200)}). It was removed from storage: download it again or choose another model.`,
    { cause: error },
  );
}

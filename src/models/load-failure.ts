import { PetitError } from '../engine/errors.ts';
import type { Device } from '../engine/types.ts';

/**
 * The step of a load that failed. The runtime's own messages rarely say which file was at fault (a bad
 * tokenizer.json can fail with "Cannot read properties of null"), so the backend says which step it was in.
 * - `tokenizer`: reading tokenizer.json / tokenizer_config.json, or encoding text with them;
 * - `session`: reading the weights into an ONNX Runtime session, and its first run (the warm-up).
 */
export type LoadStep = 'tokenizer' | 'session';

/** A load failure tagged with its step, for classifyLoadFailure. */
export class LoadStepError extends Error {
  constructor(
    readonly step: LoadStep,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'LoadStepError';
  }
}

/** Runs one step of a load, tagging what it throws with the step (a PetitError is already typed: kept). */
export async function inStep<T>(step: LoadStep, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof PetitError || error instanceof LoadStepError
      ? error
      : new LoadStepError(step, error);
  }
}

/**
 * The typed error for a runtime that could not load files already complete in the store. `invalid-model-file` and
 * `invalid-model-config` mean the files themselves are bad: the caller removes them so a retry downloads afresh.
 */
export function classifyLoadFailure(error: unknown, device: Device): PetitError {
  if (error instanceof PetitError) return error;
  const step = error instanceof LoadStepError ? error.step : 'session';
  const cause = error instanceof LoadStepError ? error.cause : error;
  const message = error instanceof Error ? error.message : String(error);
  // The tokenizer's files are the model's configuration, whatever device the weights were meant for; so is a JSON
  // file the runtime reads beside the weights (generation_config.json): ONNX files are never parsed as JSON.
  if (step === 'tokenizer' || cause instanceof SyntaxError) {
    const what = step === 'tokenizer' ? 'tokenizer files' : 'configuration files';
    return new PetitError(
      'invalid-model-config',
      `The model's ${what} cannot be used (${message.slice(0, 200)}). They were removed from storage: choose another model or revision.`,
      { cause },
    );
  }
  if (device === 'webgpu') {
    return new PetitError('webgpu-unavailable', `WebGPU could not run this model: ${message}`, {
      cause,
      details: { device: 'webgpu' },
    });
  }
  if (/memory|allocation|OOM/i.test(message)) {
    return new PetitError(
      'out-of-memory',
      `This device ran out of memory loading the model. Choose a smaller model or dtype.`,
      { cause },
    );
  }
  return new PetitError(
    'invalid-model-file',
    `The model file could not be read (${message.slice(0, 200)}). It was removed from storage: download it again or choose another model.`,
    { cause },
  );
}

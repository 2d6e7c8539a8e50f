import { describe, expect, it } from 'vitest';
import { PetitError } from '../engine/errors.ts';
import { LoadStepError, classifyLoadFailure, inStep } from './load-failure.ts';

/** What `inStep` throws for `error` in `step`, as the worker reports it. */
async function failIn(step: 'tokenizer' | 'session', error: unknown, device: 'wasm' | 'webgpu' = 'wasm') {
  const thrown = await inStep(step, () => Promise.reject(error)).catch((e: unknown) => e);
  return classifyLoadFailure(thrown, device);
}

describe('classifyLoadFailure', () => {
  it('blames the configuration for any tokenizer failure, whatever its message says', async () => {
    // Messages transformers.js gives for well-formed tokenizer.json files with wrong content: none names a tokenizer.
    for (const message of [
      "Cannot read properties of null (reading 'type')",
      'Unknown model type: Nope',
      'Invalid regular expression: /(/: Unterminated group',
      'x.map is not a function',
    ]) {
      const failure = await failIn('tokenizer', new TypeError(message));
      expect(failure.code, message).toBe('invalid-model-config');
      expect(failure.message).toContain(message);
    }
    // On WebGPU too: the tokenizer does not run on the GPU, so trying WASM would fail the same way.
    expect((await failIn('tokenizer', new Error('bad'), 'webgpu')).code).toBe('invalid-model-config');
  });

  it('blames the weights file for a session failure, even one whose message mentions JSON or a tokenizer', async () => {
    for (const message of [
      'protobuf parsing failed',
      'Unexpected token in JSON-like tokenizer header',
      'Aborted()',
    ])
      expect((await failIn('session', new Error(message))).code, message).toBe('invalid-model-file');
  });

  it('blames the configuration for a JSON file the runtime reads beside the weights', async () => {
    const failure = await failIn('session', new SyntaxError('Unexpected end of JSON input'));
    expect(failure.code).toBe('invalid-model-config');
  });

  it('keeps out-of-memory and WebGPU failures of the session apart', async () => {
    expect((await failIn('session', new RangeError('Array buffer allocation failed'))).code).toBe(
      'out-of-memory',
    );
    expect((await failIn('session', new Error('no adapter'), 'webgpu')).code).toBe('webgpu-unavailable');
  });

  it('keeps an error that is already typed, and treats an untagged one as the session', async () => {
    const aborted = new PetitError('aborted', 'Loading the model was cancelled.');
    expect(await failIn('tokenizer', aborted)).toBe(aborted);
    expect(classifyLoadFailure(new Error('bad graph'), 'wasm').code).toBe('invalid-model-file');
    expect(new LoadStepError('tokenizer', 'a string').message).toBe('a string');
  });
});

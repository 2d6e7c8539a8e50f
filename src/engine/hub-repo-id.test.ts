import { describe, expect, it } from 'vitest';
import { isPetitError } from './errors.ts';
import { isHubRepoId } from './hub-repo-id.ts';
import { resolveModelSpec } from './resolve-spec.ts';

describe('hub repository ids', () => {
  it('accepts the ids the hub has', () => {
    for (const id of [
      'HuggingFaceTB/SmolLM2-135M-Instruct',
      'onnx-community/Qwen2.5-0.5B-Instruct',
      'mlc-ai/Llama-3.2-1B-Instruct-q4f16_1-MLC',
      'petit-test/tiny-llama',
      'local/my_model',
      'a/b',
      `${'o'.repeat(96)}/${'n'.repeat(96)}`,
    ])
      expect(isHubRepoId(id), id).toBe(true);
  });

  it('refuses what names no repository: dot segments, edges, lengths, extra parts', () => {
    for (const id of [
      'a/..',
      '../b',
      'a/.',
      'a/b..c',
      'a/.b',
      'a/b-',
      '-a/b',
      'a/b/c',
      'a',
      'a/',
      '/b',
      `${'x'.repeat(10_000)}/y`,
      `a/${'n'.repeat(97)}`,
      'org/na me',
      'org/\u0000',
    ])
      expect(isHubRepoId(id), id).toBe(false);
  });

  it('refuses with unknown-model and a message short enough to read', () => {
    const long = `${'x'.repeat(10_000)}/y`;
    let error: unknown;
    try {
      resolveModelSpec({ id: long }, undefined);
    } catch (e) {
      error = e;
    }
    expect(isPetitError(error, 'unknown-model')).toBe(true);
    expect((error as Error).message.length).toBeLessThan(400);
    expect(resolveModelSpec({ id: 'a/b', dtype: 'q8' }, undefined)).toEqual({ id: 'a/b', dtype: 'q8' });
    expect(() => resolveModelSpec('a/..', undefined)).toThrow(/is not a model Petit knows/);
  });
});

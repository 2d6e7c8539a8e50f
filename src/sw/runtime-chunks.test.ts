import { describe, expect, it } from 'vitest';
import { WEBLLM_CHUNK_PATH, supersededChunks } from './runtime-chunks.ts';

describe('runtime-cached chunks', () => {
  it('matches only the web-llm chunk, not the app or other workers', () => {
    expect(WEBLLM_CHUNK_PATH.test('/assets/web-llm-Ab12_x.js')).toBe(true);
    expect(WEBLLM_CHUNK_PATH.test('/assets/webllm-runtime-Ia3PWcwv.js')).toBe(false);
    expect(WEBLLM_CHUNK_PATH.test('/assets/index-abc.js')).toBe(false);
    expect(WEBLLM_CHUNK_PATH.test('/assets/web-llm-abc.js.map')).toBe(false);
  });

  it('drops the chunks of older builds and keeps the one just cached', () => {
    const origin = 'https://petit.example';
    const cached = [
      `${origin}/assets/web-llm-old1.js`,
      `${origin}/assets/web-llm-new.js`,
      `${origin}/other.js`,
    ];
    expect(supersededChunks(cached, `${origin}/assets/web-llm-new.js`)).toEqual([
      `${origin}/assets/web-llm-old1.js`,
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { isOrtWasm, supersededChunks, webgpuOnlyFile } from './runtime-chunks.ts';

describe('files cached on first use (WebGPU only)', () => {
  it('matches web-llm’s chunk and the asyncify ORT wasm, not the app, other workers or the plain ORT build', () => {
    expect(webgpuOnlyFile('/assets/web-llm-Ab12_x.js')).toBe(0);
    expect(webgpuOnlyFile('/assets/ort-wasm-simd-threaded.asyncify-CxOG5pUO.wasm')).toBe(1);
    expect(webgpuOnlyFile('/assets/ort-wasm-simd-threaded-4byDm7i3.wasm')).toBe(-1);
    expect(webgpuOnlyFile('/assets/ort-wasm-simd-threaded.asyncify-DXIbolS2.mjs')).toBe(-1);
    expect(webgpuOnlyFile('/assets/webllm-runtime-Ia3PWcwv.js')).toBe(-1);
    expect(webgpuOnlyFile('/assets/index-abc.js')).toBe(-1);
    expect(webgpuOnlyFile('/assets/web-llm-abc.js.map')).toBe(-1);
  });

  it('drops the older builds’ copies of the same file only, keeping the one just cached', () => {
    const o = 'https://petit.example/assets';
    const cached = [
      `${o}/web-llm-old1.js`,
      `${o}/web-llm-new.js`,
      `${o}/ort-wasm-simd-threaded.asyncify-old.wasm`,
      `${o}/other.js`,
    ];
    expect(supersededChunks(cached, `${o}/web-llm-new.js`)).toEqual([`${o}/web-llm-old1.js`]);
    expect(supersededChunks(cached, `${o}/ort-wasm-simd-threaded.asyncify-new.wasm`)).toEqual([
      `${o}/ort-wasm-simd-threaded.asyncify-old.wasm`,
    ]);
  });
});

describe('ONNX Runtime wasm, passed through from the HTTP cache', () => {
  it('matches both ORT wasm builds, not their JS glue, maps, or other assets', () => {
    expect(isOrtWasm('/assets/ort-wasm-simd-threaded-4byDm7i3.wasm')).toBe(true);
    expect(isOrtWasm('/assets/ort-wasm-simd-threaded.asyncify-CxOG5pUO.wasm')).toBe(true);
    expect(isOrtWasm('/assets/ort-wasm-simd-threaded-BQJNh0bu.mjs')).toBe(false);
    expect(isOrtWasm('/assets/ort-wasm-simd-threaded-4byDm7i3.wasm.map')).toBe(false);
    expect(isOrtWasm('/models/ort-wasm-simd-threaded-x.wasm')).toBe(false);
    expect(isOrtWasm('/assets/other-abc.wasm')).toBe(false);
  });
});

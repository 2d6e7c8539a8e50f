/**
 * Which ONNX Runtime wasm build a worker starts. The asyncify build carries WebGPU (JSEP) and is needed there;
 * on the CPU it is much slower than the plain build, whose code asyncify does not instrument: SmolLM2-135M q8,
 * same machine and run, 3 runs each: decode 14.8 → 23.2 tokens/s, load 5.1 → 2.2 s (BENCHMARKS.md). ORT
 * starts once per worker with the first build it is given, so the engine gives a WebGPU load a fresh worker
 * after a WASM one (PetitEngine.cpuOnlyOrt). Both are self-hosted: never a CDN, and precached for offline use.
 */
import asyncifyWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import asyncifyMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import plainWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import plainMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import type { Device } from '../../src/engine/types.ts';

export function ortWasmPaths(device: Device, base: string): { wasm: string; mjs: string } {
  const [wasm, mjs] = device === 'webgpu' ? [asyncifyWasmUrl, asyncifyMjsUrl] : [plainWasmUrl, plainMjsUrl];
  return { wasm: new URL(wasm, base).href, mjs: new URL(mjs, base).href };
}

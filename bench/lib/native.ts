/**
 * The native peer: onnxruntime-node on the same ONNX file, same threads, with its own greedy loop (input_ids,
 * attention_mask, position_ids and the KV cache, exactly what transformers.js feeds). The speed this CPU reaches.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { argmax, prefill, step, type DecoderDims } from '../../tools/forge/decoder-runner.ts';
import { getPreset, type PresetName } from '../../tools/forge/presets.ts';
import { headDimOf } from '../../tools/forge/random-weights.ts';
import type { GenerationRun } from './results.ts';

export interface NativeSession {
  generate(prompt: number[], maxNew: number): Promise<GenerationRun & { ids: number[] }>;
  release(): Promise<void>;
}

export function dimsOf(preset: PresetName): DecoderDims {
  const shape = getPreset(preset).shape;
  return {
    numLayers: shape.numLayers,
    numKvHeads: shape.numKvHeads,
    headDim: headDimOf(shape),
    vocabSize: shape.vocabSize,
  };
}

export async function openNative(
  dir: string,
  onnxFile: string,
  preset: PresetName,
  threads: number,
): Promise<NativeSession & { loadMs: number }> {
  const dims = dimsOf(preset);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(join(dir, onnxFile), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const loadMs = performance.now() - t0;
  return {
    loadMs,
    async generate(prompt, maxNew) {
      const start = performance.now();
      let r = await prefill(session, ort, dims, prompt);
      const last = (prompt.length - 1) * dims.vocabSize;
      let next = argmax(r.logits, last, last + dims.vocabSize);
      const first = performance.now();
      const ids = [next];
      for (let n = 1; n < maxNew; n++) {
        const pos = prompt.length + n - 1;
        r = await step(session, ort, dims, [[next]], [[pos]], [new Array<number>(pos + 1).fill(1)], r.past);
        next = argmax(r.logits, 0, dims.vocabSize);
        ids.push(next);
      }
      const end = performance.now();
      return {
        promptTokens: prompt.length,
        completionTokens: ids.length,
        ttftMs: first - start,
        prefillTokPerS: (prompt.length * 1000) / (first - start),
        decodeTokPerS: ((ids.length - 1) * 1000) / (end - first),
        ids,
      };
    },
    release: () => session.release(),
  };
}

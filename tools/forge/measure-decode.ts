/**
 * Quick decode-speed check of forged models with onnxruntime-node, the way the peers' table in BENCHMARKS.md was
 * measured:
 * a 128-token prompt, 64 greedy tokens with the KV cache, median of 3 runs.
 *   npx tsx tools/forge/measure-decode.ts [--preset smollm2-135m] [--dtype fp32,q8,q4] [--threads 2]
 * (A sanity check of the graph's efficiency against the peers; the real benchmark lives in bench/.) Tokens per
 * CPU-second, measured with --threads 1, is the number to compare when other work shares the machine.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { forgeCached } from './cache.ts';
import { argmax, prefill as prefillPrompt, step, type DecoderDims } from './decoder-runner.ts';
import { checkDtypes } from './forge.ts';
import { getPreset, type PresetName } from './presets.ts';
import { headDimOf } from './random-weights.ts';
import { DTYPE_SUFFIX } from './types.ts';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'smollm2-135m' },
    dtype: { type: 'string', default: 'fp32,q8,q4' },
    threads: { type: 'string', default: '2' },
    prompt: { type: 'string', default: '128' },
    tokens: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    'q4-accuracy-level': { type: 'string' },
  },
});

const preset = values.preset as PresetName;
const shape = getPreset(preset).shape;
const dims: DecoderDims = {
  numLayers: shape.numLayers,
  numKvHeads: shape.numKvHeads,
  headDim: headDimOf(shape),
  vocabSize: shape.vocabSize,
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const promptLen = Number(values.prompt);
const newTokens = Number(values.tokens);
const q4AccuracyLevel =
  values['q4-accuracy-level'] === undefined ? undefined : Number(values['q4-accuracy-level']);

for (const dtype of checkDtypes(String(values.dtype).split(','))) {
  const t0 = Date.now();
  const m = await forgeCached({
    preset,
    dtypes: [dtype],
    seed: 1,
    q4AccuracyLevel: dtype === 'q4' ? q4AccuracyLevel : undefined,
  });
  const forgeSeconds = (Date.now() - t0) / 1000;
  const session = await ort.InferenceSession.create(join(m.dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`), {
    intraOpNumThreads: Number(values.threads),
    interOpNumThreads: 1,
  });
  const prompt = Array.from({ length: promptLen }, (_, i) => 200 + ((i * 7919) % 20000));
  const prefill: number[] = [];
  const decode: number[] = [];
  const decodeCpu: number[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    let t = performance.now();
    let r = await prefillPrompt(session, ort, dims, prompt);
    prefill.push(promptLen / ((performance.now() - t) / 1000));
    let next = argmax(r.logits, (promptLen - 1) * dims.vocabSize, promptLen * dims.vocabSize);
    t = performance.now();
    const cpu0 = process.cpuUsage();
    for (let n = 0; n < newTokens; n++) {
      const pos = promptLen + n;
      r = await step(session, ort, dims, [[next]], [[pos]], [new Array<number>(pos + 1).fill(1)], r.past);
      next = argmax(r.logits, 0, dims.vocabSize);
    }
    decode.push(newTokens / ((performance.now() - t) / 1000));
    const cpu = process.cpuUsage(cpu0);
    decodeCpu.push((newTokens * 1e6) / (cpu.user + cpu.system));
  }
  await session.release();
  console.log(
    `${preset} ${dtype}: decode ${median(decode).toFixed(1)} tok/s (best ${Math.max(...decode).toFixed(1)}; prefill ${median(prefill).toFixed(0)} tok/s), ` +
      `${values.threads} threads; ${median(decodeCpu).toFixed(1)} tokens per CPU-second; forge ${m.forged ? `${forgeSeconds.toFixed(1)} s` : 'cached'}`,
  );
}

/**
 * `npx tsx tools/forge/gguf-cli.ts --preset smollm2-135m --type Q4_0 --seed 0 --out smollm2-135m-q4_0.gguf`
 * `npx tsx tools/forge/gguf-cli.ts --llama2c ../shared/fixtures/llama2c --type F32 --out stories260K.gguf`
 * Writes the same weights `npm run forge` puts in ONNX (same preset, tokenizer and seed) as a GGUF for llama.cpp.
 */
import { parseArgs } from 'node:util';
import { ForgeError } from './errors.ts';
import { resolveForge } from './forge.ts';
import { GGUF_TYPES, LLAMA_CPP_PRE, ggufTokenizerFromHf, writeGguf, type GgufType } from './gguf.ts';
import { convertLlama2c } from './llama2c.ts';
import { PRESET_NAMES, type PresetName } from './presets.ts';
import { randomWeights } from './random-weights.ts';
import { TOKENIZER_NAMES, loadTokenizer, type TokenizerName } from './tokenizers.ts';

const USAGE = `usage: npx tsx tools/forge/gguf-cli.ts (--preset <name> [--tokenizer auto|${TOKENIZER_NAMES.join('|')}] [--seed N]
                                      | --llama2c <dir>) --type ${GGUF_TYPES.join('|')} --out <file.gguf>
  presets: ${PRESET_NAMES.join(', ')}`;

function fail(message: string): never {
  console.error(`gguf: ${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        preset: { type: 'string' },
        llama2c: { type: 'string' },
        tokenizer: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '0' },
        type: { type: 'string', default: 'F32' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) return void console.log(USAGE);
  if (!values.out) fail('give --out <file.gguf>');
  const type = values.type as GgufType;
  if (!(GGUF_TYPES as readonly string[]).includes(type)) fail(`unknown --type ${values.type}`);
  const t0 = Date.now();
  let written;
  if (values.llama2c) {
    const m = convertLlama2c(values.llama2c);
    const tokenizer = ggufTokenizerFromHf(m.tokenizer, {
      vocabSize: m.shape.vocabSize,
      scores: m.llama2cTokenizer.scores,
    });
    written = writeGguf(values.out, {
      shape: m.shape,
      weights: m.weights,
      tokenizer,
      type,
      name: 'stories260K',
    });
  } else {
    if (!values.preset || !PRESET_NAMES.includes(values.preset as PresetName))
      fail('give --preset or --llama2c');
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0)
      fail(`--seed must be a non-negative integer, got ${values.seed}`);
    // The same resolution and weights as forge(), so ONNX and GGUF files of one preset and seed hold the same model.
    const resolved = resolveForge({
      preset: values.preset as PresetName,
      dtypes: ['fp32'],
      tokenizer: values.tokenizer as TokenizerName | 'auto',
    });
    const tok = loadTokenizer(resolved.tokenizer, resolved.shape.vocabSize);
    const shape = { ...resolved.shape, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId };
    written = writeGguf(values.out, {
      shape,
      weights: randomWeights(shape, seed),
      tokenizer: tok,
      type,
      name: `petit/${values.preset}`,
      pre: LLAMA_CPP_PRE[resolved.tokenizer],
    });
  }
  console.log(
    `${(written.bytes / 1e6).toFixed(1)} MB  ${written.path} (${type}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ForgeError) {
    console.error(`gguf: ${err.message} [${err.code}]`);
    process.exit(2);
  }
  throw err;
});

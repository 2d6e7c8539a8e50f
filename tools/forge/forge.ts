/**
 * The forge: writes a model folder in the transformers.js layout from a shape, weights and tokenizer files.
 *   config.json, generation_config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 *   onnx/model{suffix}.onnx (+ model{suffix}.onnx_data when above protobuf's limit), and last
 *   `.forge-complete.json`: a folder without it is half-forged and must not be used.
 * Every file is written to a temporary name and renamed, so a crash never leaves a truncated file in place.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDecoderGraph } from './decoder-graph.ts';
import { ForgeError } from './errors.ts';
import { PROTOBUF_SAFE_BYTES, initializerBytes, writeOnnxModel } from './onnx-writer.ts';
import { getPreset, type PresetName } from './presets.ts';
import { headDimOf, randomWeights, validateShape } from './random-weights.ts';
import {
  loadTokenizer,
  smollmTokenizerAvailable,
  type ResolvedTokenizer,
  type TokenizerName,
} from './tokenizers.ts';
import {
  DTYPES,
  DTYPE_SUFFIX,
  type Dtype,
  type ModelShape,
  type TokenizerFiles,
  type WeightSet,
} from './types.ts';

/** Bump whenever forged bytes change, so cached models are re-forged. */
export const FORGE_VERSION = '2';
export const COMPLETE_MARKER = '.forge-complete.json';

export type ForgeProgress =
  | { phase: 'weights'; message: string }
  | { phase: 'onnx'; dtype: Dtype; message: string }
  | { phase: 'done'; message: string };

export interface WriteModelFolderOptions {
  shape: ModelShape;
  weights: WeightSet;
  tokenizer: TokenizerFiles;
  dtypes: readonly Dtype[];
  /** `_name_or_path` in config.json, e.g. `petit/smollm2-135m`. */
  modelId?: string;
  /** Ids generation stops at (generation_config.json); defaults to the shape's eosTokenId. */
  eosTokenIds?: number[];
  padTokenId?: number;
  /** Force external data on (tests) or off; by default only models above ~1.8 GB use it. */
  externalData?: boolean;
  q4AccuracyLevel?: number;
  /** How a tied LM head is stored (default `copy`); see DecoderGraphOptions.tiedHead. */
  tiedHead?: 'copy' | 'shared';
  onProgress?: (p: ForgeProgress) => void;
}

export interface ForgedFolder {
  dir: string;
  /** File name (relative to dir) -> size in bytes. */
  files: Record<string, number>;
}

let tmpCounter = 0;
function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${tmpCounter++}`;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function checkDtypes(dtypes: readonly string[]): Dtype[] {
  if (dtypes.length === 0)
    throw new ForgeError('unknown-dtype', `No dtype given; use one or more of ${DTYPES.join(', ')}.`);
  for (const d of dtypes) {
    if (!(DTYPES as readonly string[]).includes(d))
      throw new ForgeError('unknown-dtype', `Unknown dtype "${d}"; use one or more of ${DTYPES.join(', ')}.`);
  }
  return [...new Set(dtypes)] as Dtype[];
}

function tokenizerSize(files: TokenizerFiles): number {
  const model = files.tokenizer.model as { vocab?: Record<string, number> } | undefined;
  let max = -1;
  for (const id of Object.values(model?.vocab ?? {})) max = Math.max(max, id);
  for (const t of (files.tokenizer.added_tokens as { id: number }[] | undefined) ?? [])
    max = Math.max(max, t.id);
  return max + 1;
}

/** config.json with the Hugging Face fields of `LlamaForCausalLM` / `Qwen2ForCausalLM`. */
export function buildConfig(
  shape: ModelShape,
  extra: { modelId?: string; padTokenId?: number; externalFiles: string[] },
): Record<string, unknown> {
  const common = {
    _name_or_path: extra.modelId ?? 'petit/forged-model',
    architectures: [shape.family === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: shape.bosTokenId,
    eos_token_id: shape.eosTokenId,
    head_dim: headDimOf(shape),
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: shape.maxPositionEmbeddings,
    model_type: shape.family,
    num_attention_heads: shape.numHeads,
    num_hidden_layers: shape.numLayers,
    num_key_value_heads: shape.numKvHeads,
    ...(extra.padTokenId !== undefined ? { pad_token_id: extra.padTokenId } : {}),
    rms_norm_eps: shape.rmsNormEps,
    rope_scaling: null,
    rope_theta: shape.ropeTheta,
    tie_word_embeddings: shape.tieWordEmbeddings,
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
    use_cache: true,
    vocab_size: shape.vocabSize,
  };
  const family =
    shape.family === 'qwen2'
      ? {
          max_window_layers: shape.numLayers,
          sliding_window: shape.maxPositionEmbeddings,
          use_sliding_window: false,
        }
      : { attention_bias: false, mlp_bias: false, pretraining_tp: 1 };
  const tjs: Record<string, unknown> = {};
  if (extra.externalFiles.length > 0)
    tjs.use_external_data_format = Object.fromEntries(extra.externalFiles.map((f) => [f, 1]));
  return { ...common, ...family, ...(Object.keys(tjs).length ? { 'transformers.js_config': tjs } : {}) };
}

/** Writes the whole folder; see the file comment for the layout and the completion marker. */
export function writeModelFolder(dir: string, options: WriteModelFolderOptions): ForgedFolder {
  const { shape, weights, tokenizer } = options;
  validateShape(shape);
  const dtypes = checkDtypes(options.dtypes);
  const tokSize = tokenizerSize(tokenizer);
  if (tokSize > shape.vocabSize) {
    throw new ForgeError(
      'tokenizer-too-large',
      `The tokenizer has ${tokSize} tokens but the model's vocabulary is ${shape.vocabSize}; raise vocabSize or use a smaller tokenizer.`,
    );
  }
  if (typeof tokenizer.tokenizerConfig.chat_template !== 'string') {
    throw new ForgeError(
      'bad-shape',
      'tokenizer_config.json needs a chat_template string (transformers.js applies it for chat input).',
    );
  }
  const progress = options.onProgress ?? (() => {});
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  rmSync(join(dir, COMPLETE_MARKER), { force: true });

  const files: Record<string, number> = {};
  const put = (rel: string, data: string) => {
    writeAtomic(join(dir, rel), data);
    files[rel] = Buffer.byteLength(data);
  };
  put('tokenizer.json', json(tokenizer.tokenizer));
  put('tokenizer_config.json', json(tokenizer.tokenizerConfig));
  if (tokenizer.specialTokensMap) put('special_tokens_map.json', json(tokenizer.specialTokensMap));

  const externalFiles: string[] = [];
  for (const dtype of dtypes) {
    const base = `model${DTYPE_SUFFIX[dtype]}.onnx`;
    progress({ phase: 'onnx', dtype, message: `building ${base}` });
    const model = buildDecoderGraph(shape, weights, {
      dtype,
      q4AccuracyLevel: options.q4AccuracyLevel,
      tiedHead: options.tiedHead,
      producerVersion: FORGE_VERSION,
    });
    const bytes = initializerBytes(model);
    const external = options.externalData ?? bytes > PROTOBUF_SAFE_BYTES;
    progress({
      phase: 'onnx',
      dtype,
      message: `writing ${base} (${(bytes / 1e6).toFixed(1)} MB of weights${external ? ', external data' : ''})`,
    });
    const final = join(dir, 'onnx', base);
    const tmp = tmpName(final);
    const tmpData = `${tmp}_data`;
    writeOnnxModel(tmp, model, external ? { externalData: { path: tmpData, location: `${base}_data` } } : {});
    if (external) {
      renameSync(tmpData, `${final}_data`);
      files[`onnx/${base}_data`] = statSync(`${final}_data`).size;
      externalFiles.push(base);
    } else rmSync(`${final}_data`, { force: true });
    renameSync(tmp, final);
    files[`onnx/${base}`] = statSync(final).size;
  }

  const eos = options.eosTokenIds ?? [shape.eosTokenId];
  put(
    'config.json',
    json(buildConfig(shape, { modelId: options.modelId, padTokenId: options.padTokenId, externalFiles })),
  );
  put(
    'generation_config.json',
    json({
      bos_token_id: shape.bosTokenId,
      eos_token_id: eos.length === 1 ? eos[0] : eos,
      ...(options.padTokenId !== undefined ? { pad_token_id: options.padTokenId } : {}),
      transformers_version: '4.46.0',
    }),
  );
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeAtomic(
    join(dir, COMPLETE_MARKER),
    json({ forgeVersion: FORGE_VERSION, modelId: options.modelId ?? null, dtypes, files: sorted }),
  );
  progress({ phase: 'done', message: `forged ${dir}` });
  return { dir, files: sorted };
}

/** Where the weights come from when not random: the llama2.c converter (or any other) plugs in here. */
export interface ModelSource {
  /** Stable description for cache keys, e.g. `llama2c:<sha256 of the checkpoint>`. */
  key: string;
  load(): Promise<{
    shape: ModelShape;
    weights: WeightSet;
    tokenizer: TokenizerFiles;
    eosTokenIds?: number[];
    padTokenId?: number;
  }>;
}

export interface ForgeOptions {
  /** A named shape (presets.ts); ignored when `source` is given. */
  preset?: PresetName;
  /** Overrides of the preset's shape (or a full shape when no preset). */
  shape?: Partial<ModelShape>;
  dtypes: readonly Dtype[];
  /** `auto`: the preset's real tokenizer when available, else a generated BPE of the model's vocabulary. */
  tokenizer?: TokenizerName | 'auto';
  seed?: number;
  modelId?: string;
  source?: ModelSource;
  externalData?: boolean;
  q4AccuracyLevel?: number;
  /** Default: the preset's (as its published export), else `copy`. */
  tiedHead?: 'copy' | 'shared';
}

/** The shape and tokenizer `forge` would use (no weights): also what the cache key is made of. */
export function resolveForge(options: ForgeOptions): {
  shape: ModelShape;
  tokenizer: TokenizerName;
  tiedHead: 'copy' | 'shared';
} {
  const preset = options.preset ? getPreset(options.preset) : undefined;
  const shape = { ...preset?.shape, ...options.shape } as ModelShape;
  if (!preset && !options.shape)
    throw new ForgeError('unknown-preset', 'Give a preset (e.g. tiny-llama) or a full shape.');
  let tokenizer: TokenizerName;
  if (!options.tokenizer || options.tokenizer === 'auto') {
    const wanted = preset?.tokenizer ?? 'bpe';
    tokenizer = wanted === 'smollm' && !smollmTokenizerAvailable() ? 'bpe' : wanted;
  } else tokenizer = options.tokenizer;
  validateShape(shape);
  return { shape, tokenizer, tiedHead: options.tiedHead ?? preset?.tiedHead ?? 'copy' };
}

/** Forges a model folder at `dir`: random weights from a preset/shape, or a pluggable source. */
export async function forge(
  dir: string,
  options: ForgeOptions,
  onProgress?: (p: ForgeProgress) => void,
): Promise<ForgedFolder> {
  const dtypes = checkDtypes(options.dtypes);
  if (options.source) {
    onProgress?.({ phase: 'weights', message: `loading ${options.source.key}` });
    const src = await options.source.load();
    return writeModelFolder(dir, {
      ...src,
      dtypes,
      modelId: options.modelId,
      externalData: options.externalData,
      q4AccuracyLevel: options.q4AccuracyLevel,
      tiedHead: options.tiedHead,
      onProgress,
    });
  }
  const resolved = resolveForge(options);
  const tok: ResolvedTokenizer = loadTokenizer(resolved.tokenizer, resolved.shape.vocabSize);
  const shape: ModelShape = { ...resolved.shape, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId };
  onProgress?.({ phase: 'weights', message: `drawing random weights (seed ${options.seed ?? 0})` });
  const weights = randomWeights(shape, options.seed ?? 0);
  return writeModelFolder(dir, {
    shape,
    weights,
    tokenizer: tok,
    dtypes,
    modelId: options.modelId,
    eosTokenIds: tok.eosTokenIds,
    padTokenId: tok.padTokenId,
    externalData: options.externalData,
    q4AccuracyLevel: options.q4AccuracyLevel,
    tiedHead: resolved.tiedHead,
    onProgress,
  });
}

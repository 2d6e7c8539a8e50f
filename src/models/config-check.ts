import { PetitError } from '../engine/errors.ts';
import { CAUSAL_LM_MODEL_TYPES } from './causal-lm-types.ts';
import type { ModelStore } from './store.ts';

/** Bounds far above any real model: a config beyond them is corrupt, and would make the runtime loop or allocate forever. */
const SHAPE_LIMITS: readonly (readonly [string, number])[] = [
  ['vocab_size', 4_000_000],
  ['hidden_size', 65_536],
  ['intermediate_size', 524_288],
  ['num_hidden_layers', 1_024],
  ['num_attention_heads', 1_024],
  ['num_key_value_heads', 1_024],
  ['head_dim', 4_096],
  ['max_position_embeddings', 100_000_000],
];

/** Why a parsed config.json cannot belong to a model Petit runs, or null when it can. */
export function configProblem(config: unknown): string | null {
  const c = config as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || typeof c.model_type !== 'string' || !(Number(c.vocab_size) > 0))
    return "The model's config.json lacks `model_type` or `vocab_size`; it is not a model Petit can run.";
  if (!CAUSAL_LM_MODEL_TYPES.has(c.model_type))
    return `The model's config.json names model_type "${c.model_type.slice(0, 40)}", which is not a text-generation architecture Petit's runtime knows. Choose another model.`;
  for (const [key, limit] of SHAPE_LIMITS) {
    const value = c[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit)
      return `The model's config.json gives ${key} = ${JSON.stringify(value).slice(0, 40)}, which no real model has (a whole number from 1 to ${limit}). The repository is broken; choose another model.`;
  }
  return null;
}

/**
 * Reads the stored config.json at `url` and checks it; a bad one is removed from the store (so a retry downloads
 * it afresh) and refused as `invalid-model-config`.
 */
export async function readModelConfig(store: ModelStore, url: string): Promise<Record<string, unknown>> {
  const response = await store.match(url);
  let config: unknown;
  try {
    config = JSON.parse(await response!.text());
  } catch {
    await store.delete(url);
    throw new PetitError(
      'invalid-model-config',
      "The model's config.json is not valid JSON. The model cannot be used; choose another one or fix the repository.",
    );
  }
  const problem = configProblem(config);
  if (problem) {
    await store.delete(url);
    throw new PetitError('invalid-model-config', problem);
  }
  return config as Record<string, unknown>;
}

/** The external-data files (`model.onnx_data`, `_data_1`, …) config.json says come with `onnxFile`. */
export function externalDataFiles(config: Record<string, unknown>, onnxFile: string): string[] {
  const jsConfig = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const setting = jsConfig.use_external_data_format;
  const base = onnxFile.split('/').pop()!;
  const value =
    setting && typeof setting === 'object'
      ? (setting as Record<string, unknown>)[base]
      : (setting as unknown);
  const count = value === true ? 1 : typeof value === 'number' ? value : 0;
  return Array.from({ length: count }, (_, i) => `${onnxFile}_data${i === 0 ? '' : `_${i}`}`);
}

import { describe, expect, it } from 'vitest';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import { CAUSAL_LM_MODEL_TYPES } from './causal-lm-types.ts';
import { configProblem, externalDataFiles } from './config-check.ts';

const good = { model_type: 'llama', vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30 };

describe('configProblem', () => {
  it('accepts a real model config', () => {
    expect(configProblem(good)).toBeNull();
  });

  it('refuses a config without model_type or vocab_size', () => {
    expect(configProblem({ vocab_size: 10 })).toMatch(/lacks `model_type` or `vocab_size`/);
    expect(configProblem({ model_type: 'llama' })).toMatch(/lacks/);
    expect(configProblem(null)).toMatch(/lacks/);
    expect(configProblem([1, 2])).toMatch(/lacks/);
  });

  it('refuses a model_type the runtime cannot run as a text-generation model', () => {
    expect(configProblem({ ...good, model_type: 'not-a-model' })).toMatch(/model_type "not-a-model"/);
    // Types transformers.js knows for other tasks only (an encoder, a speech model) are refused too.
    expect(configProblem({ ...good, model_type: 'bert' })).toMatch(/model_type "bert"/);
    expect(configProblem({ ...good, model_type: 'whisper' })).toMatch(/model_type "whisper"/);
    expect(configProblem({ ...good, model_type: '__proto__' })).toMatch(/model_type "__proto__"/);
    for (const model_type of ['qwen2', 'phi3', 'gemma3_text', 'gpt2'])
      expect(configProblem({ ...good, model_type })).toBeNull();
  });

  it("lists exactly the types transformers.js's AutoModelForCausalLM runs (fails when an upgrade changes them)", () => {
    const mapping = (AutoModelForCausalLM as unknown as { MODEL_CLASS_MAPPINGS: Map<string, unknown>[] })
      .MODEL_CLASS_MAPPINGS;
    const runtime = mapping.flatMap((m) => [...m.keys()]).sort();
    expect([...CAUSAL_LM_MODEL_TYPES].sort()).toEqual(runtime);
  });

  it('names the shape no real model has', () => {
    expect(configProblem({ ...good, num_hidden_layers: 1e9 })).toMatch(/num_hidden_layers = 1000000000/);
    expect(configProblem({ ...good, hidden_size: 1.5 })).toMatch(/hidden_size = 1.5/);
    expect(configProblem({ ...good, head_dim: '64' })).toMatch(/head_dim = "64"/);
  });
});

describe('externalDataFiles', () => {
  it('lists the data files config.json announces for the weights file', () => {
    const one = { 'transformers.js_config': { use_external_data_format: true } };
    expect(externalDataFiles(one, 'onnx/model_q4.onnx')).toEqual(['onnx/model_q4.onnx_data']);
    const perFile = { 'transformers.js_config': { use_external_data_format: { 'model_q4.onnx': 2 } } };
    expect(externalDataFiles(perFile, 'onnx/model_q4.onnx')).toEqual([
      'onnx/model_q4.onnx_data',
      'onnx/model_q4.onnx_data_1',
    ]);
    expect(externalDataFiles(perFile, 'onnx/model.onnx')).toEqual([]);
    expect(externalDataFiles({}, 'onnx/model.onnx')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
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

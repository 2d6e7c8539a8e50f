import { describe, expect, it } from 'vitest';
import { isHubRepoId } from '../engine/hub-repo-id.ts';
import { inspectFolder, type LocalFile } from './local-import.ts';

const file = (path: string, text = '{}'): LocalFile => ({
  path,
  file: new File([text], path.split('/').pop()!),
});
const model = [
  file('config.json', JSON.stringify({ model_type: 'llama' })),
  file('tokenizer.json'),
  file('tokenizer_config.json'),
  file('onnx/model_quantized.onnx', 'onnx'),
];

describe('a model folder from disk', () => {
  it('is named so that `local/<name>` is an id the engine accepts, whatever the folder is called', async () => {
    for (const folder of ['My Model (v2)', '..', '-.odd.-', 'a..b', 'x'.repeat(300), 'é', '___']) {
      const { name } = await inspectFolder(folder, model);
      expect(isHubRepoId(`local/${name}`), `${folder} → ${name}`).toBe(true);
    }
    expect((await inspectFolder('My Model (v2)', model)).name).toBe('My-Model-v2');
  });
});

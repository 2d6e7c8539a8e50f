import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgeCached } from '../tools/forge/cache.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { startFakeProvider } from '../tools/fake-provider/fake-provider-server.ts';
import {
  BAD_CONFIG_MODEL,
  BAD_PIN_MODEL,
  HALF_ONNX_MODEL,
  HUB_PORT,
  PROVIDER_KEY,
  PROVIDER_PORT,
  PINNED_GENERATION_CONFIG,
  PINNED_MODEL,
  SIZED_MODEL,
  STORIES_MODEL,
  TINY_MODEL,
} from './env.ts';
import { storiesSource } from './stories.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// Overridable so that two runs on one machine do not rebuild each other's hub folder.
export const HUB_ROOT = process.env.PETIT_E2E_HUB_ROOT ?? join(repoRoot, '.cache', 'e2e-hub');

/** Forges the test models, lays out a hub folder with good and broken repos, and serves it. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  rmSync(HUB_ROOT, { recursive: true, force: true });
  mkdirSync(HUB_ROOT, { recursive: true });

  const tiny = await forgeCached({
    preset: 'tiny-llama',
    dtypes: ['fp32', 'q8'],
    modelId: TINY_MODEL,
    seed: 7,
  });
  cpSync(tiny.dir, join(HUB_ROOT, TINY_MODEL), { recursive: true });

  // Same options as tools/forge/smollm2.test.ts, so the forge cache makes it once for both.
  const smollm = await forgeCached({ preset: 'smollm2-135m', dtypes: ['q4'], seed: 1 });
  cpSync(smollm.dir, join(HUB_ROOT, smollm.modelId), { recursive: true });

  const source = storiesSource();
  if (source) {
    const stories = await forgeCached({ source, dtypes: ['fp32'], modelId: STORIES_MODEL });
    cpSync(stories.dir, join(HUB_ROOT, STORIES_MODEL), { recursive: true });
  }

  const badConfig = join(HUB_ROOT, BAD_CONFIG_MODEL);
  cpSync(tiny.dir, badConfig, { recursive: true });
  writeFileSync(join(badConfig, 'config.json'), '{ "model_type": "llama", "vocab_size": ');

  const halfOnnx = join(HUB_ROOT, HALF_ONNX_MODEL);
  cpSync(tiny.dir, halfOnnx, { recursive: true });
  const onnx = join(halfOnnx, 'onnx', 'model.onnx');
  const bytes = readFileSync(onnx);
  writeFileSync(onnx, bytes.subarray(0, Math.floor(statSync(onnx).size / 2)));
  copyFileSync(join(tiny.dir, 'config.json'), join(halfOnnx, 'config.json'));

  cpSync(tiny.dir, join(HUB_ROOT, SIZED_MODEL), { recursive: true });
  for (const repo of [PINNED_MODEL, BAD_PIN_MODEL]) {
    cpSync(tiny.dir, join(HUB_ROOT, repo), { recursive: true });
    writeFileSync(join(HUB_ROOT, repo, 'generation_config.json'), PINNED_GENERATION_CONFIG);
  }

  const hub = await startHub({ root: HUB_ROOT, port: HUB_PORT });
  // Streams slowly enough (20 ms per 8 characters) for a partial answer to be seen before a drop.
  const provider = await startFakeProvider({
    port: PROVIDER_PORT,
    apiKeys: [PROVIDER_KEY],
    chunkDelayMs: 20,
  });
  return async () => {
    await hub.close();
    await provider.close();
  };
}

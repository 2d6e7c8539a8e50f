/**
 * `npm run demo`: Petit with no network at all. Forges small demo models (and converts the trained stories260K
 * when ../shared/fixtures is present, so the demo says something meaningful), serves them from a local hub, and
 * starts the app pointed at it.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { forgeCached } from '../tools/forge/cache.ts';
import { llama2cFixturesAvailable, llama2cSource } from '../tools/forge/llama2c.ts';
import { startHub } from '../tools/hub/hub-server.ts';

const HUB_PORT = Number(process.env.PETIT_DEMO_HUB_PORT ?? 8787);
const APP_PORT = Number(process.env.PETIT_DEMO_PORT ?? 5173);
const root = join('.cache', 'demo-hub');

const catalog: Record<string, unknown>[] = [];
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });

if (llama2cFixturesAvailable()) {
  console.log('demo: converting stories260K (a tiny model trained on children’s stories)…');
  const stories = await forgeCached({
    source: llama2cSource(),
    dtypes: ['fp32', 'q8'],
    modelId: 'petit-demo/stories260K',
  });
  cpSync(stories.dir, join(root, stories.modelId), { recursive: true });
  catalog.push({
    id: 'stories260k',
    label: 'Stories 260K (demo: try "Once upon a time")',
    repo: stories.modelId,
    dtypes: ['fp32', 'q8'],
    params: '260K',
    contextLength: 512,
    license: 'MIT',
    goodFor: 'Continuing a children’s story: type the first words of one.',
  });
} else {
  console.log('demo: ../shared/fixtures is absent, so only random-weight demo models are available.');
}

console.log('demo: forging a small random-weight llama (its answers are noise: it shows the machinery)…');
const tiny = await forgeCached({
  preset: 'tiny-llama',
  dtypes: ['fp32', 'q8', 'q4'],
  modelId: 'petit-demo/tiny-llama',
  seed: 1,
});
cpSync(tiny.dir, join(root, tiny.modelId), { recursive: true });
catalog.push({
  id: 'tiny-llama',
  label: 'Tiny Llama (demo, random weights)',
  repo: tiny.modelId,
  dtypes: ['q8', 'q4', 'fp32'],
  params: '0.2M',
  contextLength: 2048,
  license: 'MIT',
  goodFor: 'Seeing downloads, streaming and Stop work; the text itself is random.',
});

const hub = await startHub({ root, port: HUB_PORT });
console.log(`demo: model hub at ${hub.url}`);

const app = spawn('npx', ['vite', '--port', String(APP_PORT), '--strictPort', '--host', '127.0.0.1'], {
  stdio: 'inherit',
  env: { ...process.env, VITE_PETIT_HUB_URL: hub.url, VITE_PETIT_EXTRA_MODELS: JSON.stringify(catalog) },
});
const stop = async () => {
  app.kill();
  await hub.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
app.on('exit', (code) => void hub.close().then(() => process.exit(code ?? 0)));

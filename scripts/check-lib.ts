/**
 * `npm run check:lib`: end-to-end check of the published library (packages/petit), as another team would use
 * it: `npm pack` it (its prepack builds it), check that the packed package.json lists only dependencies its
 * built code imports (none of the app's), install the tarball into a throwaway Vite app in a temp folder,
 * typecheck and build that app, then load it in Chromium against a local hub with a forged model — once with
 * the packaged worker, once with `createWorker` and the app's own bundling of `petit/worker` — and check that
 * each page gets an answer on several WASM threads.
 *
 *   npx tsx scripts/check-lib.ts            # ~1–2 min
 *   npx tsx scripts/check-lib.ts --keep     # keep the temp app to poke at
 */
import { chromium } from 'playwright-core';
import { parseSync } from 'vite';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/fixtures.ts';
import { forgeCached } from '../tools/forge/cache.ts';
import { startHub } from '../tools/hub/hub-server.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = join(repo, 'packages/petit');
const keep = process.argv.includes('--keep');
const MODEL = 'petit-test/tiny-llama';
const started = Date.now();
const step = (what: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`);

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const work = mkdtempSync(join(tmpdir(), 'petit-lib-'));
const app = join(work, 'app');
mkdirSync(join(app, 'src'), { recursive: true });

step('building and packing packages/petit (npm pack)');
run('npm', ['pack', '--pack-destination', work, '--silent'], pkg);
const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
checkDependencies(join(work, tarball));

/**
 * Only the library's own dependencies reach its users: every package the packed package.json lists must be one
 * its built code imports (what the build bundles is a devDependency), and none may be the app's.
 */
function checkDependencies(tgz: string): void {
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tgz, '-C', unpacked], work);
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const listed = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
    Object.keys(manifest[field] ?? {}),
  );
  const imported = new Set<string>();
  const dist = join(unpacked, 'package/dist');
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    if (!/\.m?js$/.test(file)) continue;
    const code = readFileSync(join(dist, file), 'utf8');
    const { module } = parseSync(file, code);
    const specifiers = [
      ...module.staticImports.map((i) => i.moduleRequest.value),
      ...module.staticExports.flatMap((e) => e.entries.map((entry) => entry.moduleRequest?.value ?? '')),
      // A dynamic import's argument as written: only string literals name a package.
      ...module.dynamicImports.map(
        (i) => /^["'](.*)["']$/.exec(code.slice(i.moduleRequest.start, i.moduleRequest.end))?.[1] ?? '',
      ),
    ];
    for (const specifier of specifiers) {
      // Relative paths, URLs, node: and bare Node built-ins (ONNX Runtime's Node-only branch) are no dependency.
      const name = specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
      if (name && !/^(\.|\/|[a-z]+:)/.test(specifier) && !builtinModules.includes(name)) imported.add(name);
    }
  }
  const wrong = listed.filter(
    (name) => ['react', 'react-dom', 'marked', 'dompurify'].includes(name) || !imported.has(name),
  );
  step(
    `packed package.json: runtime dependencies ${listed.join(', ') || 'none'}; the built code imports ${[...imported].join(', ') || 'no package'}`,
  );
  if (wrong.length > 0) {
    console.error(
      `FAIL packages/petit/package.json lists ${wrong.join(', ')}, which its built code does not need: ` +
        'what the build bundles belongs in its devDependencies, what the app uses in the root package.json.',
    );
    if (!keep) rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }
}

const viteVersion = (
  JSON.parse(readFileSync(join(repo, 'node_modules/vite/package.json'), 'utf8')) as { version: string }
).version;
const files: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: 'petit-consumer',
      private: true,
      type: 'module',
      dependencies: { petit: `file:../${tarball}` },
      devDependencies: { vite: viteVersion },
    },
    null,
    2,
  ),
  'vite.config.js': `
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
export default {
  preview: { headers },
  worker: { format: 'es' },
  build: { target: 'es2022', rollupOptions: { input: { packaged: 'packaged.html', own: 'own.html' } } },
};
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      lib: ['ES2023', 'DOM'],
      types: ['vite/client'],
    },
    include: ['src'],
  }),
  'packaged.html': `<!doctype html><title>packaged worker</title><script type="module" src="/src/packaged.ts"></script>`,
  'own.html': `<!doctype html><title>own worker</title><script type="module" src="/src/own.ts"></script>`,
  // The README's example, nearly as written.
  'src/chat.ts': `
import { PetitEngine, PetitError, type ChatCompletion } from 'petit';

export async function chat(petit: PetitEngine): Promise<void> {
  const hubUrl = new URLSearchParams(location.search).get('hub') ?? undefined;
  try {
    const info = await petit.load({ id: '${MODEL}', dtype: 'q8', device: 'wasm', hubUrl });
    const reply: ChatCompletion = await petit.chat.completions.create({
      messages: [{ role: 'user', content: 'Hello!' }],
      max_tokens: 8,
      temperature: 0,
    });
    let streamed = '';
    for await (const chunk of await petit.chat.completions.create({
      messages: [{ role: 'user', content: 'Hello again!' }],
      max_tokens: 8,
      stream: true,
    })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    Object.assign(window, {
      result: { threads: info.threads, text: reply.choices[0].message.content, streamed, tokens: reply.usage.completion_tokens },
    });
  } catch (error) {
    Object.assign(window, { result: { error: error instanceof PetitError ? error.code + ': ' + error.message : String(error) } });
  }
}
`,
  'src/packaged.ts': `
import { PetitEngine } from 'petit';
import { chat } from './chat.ts';
void chat(new PetitEngine());
`,
  'src/own.ts': `
import { PetitEngine } from 'petit';
import PetitWorker from 'petit/worker?worker';
import { chat } from './chat.ts';
void chat(new PetitEngine({ createWorker: () => new PetitWorker({ name: 'consumer-own-worker' }) }));
`,
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(app, name), text);
writeFileSync(
  join(app, 'tsconfig.json'),
  files['tsconfig.json'].replace('"noEmit":true', '"noEmit":true,"allowImportingTsExtensions":true'),
);

step(`installing ${tarball} into a fresh Vite app`);
run(
  'npm',
  ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--loglevel=error'],
  app,
);
step('typechecking the app against the published types');
run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
step('building the app');
run(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], app);

const hubRoot = join(work, 'hub');
const tiny = await forgeCached({ preset: 'tiny-llama', dtypes: ['fp32', 'q8'], modelId: MODEL, seed: 7 });
cpSync(tiny.dir, join(hubRoot, MODEL), { recursive: true });
const hub = await startHub({ root: hubRoot, port: 0 });
const preview = spawn(
  process.execPath,
  [
    join(app, 'node_modules/vite/bin/vite.js'),
    'preview',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--strictPort',
  ],
  {
    cwd: app,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  },
);
const appUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  preview.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (match) resolve(match[0]);
  });
  preview.once('exit', () => reject(new Error(`vite preview exited:\n${out}`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: [...CHROMIUM_ARGS, '--disable-gpu'],
});
let failed = false;
try {
  for (const page of ['packaged', 'own']) {
    const tab = await browser.newPage();
    await tab.goto(`${appUrl}/${page}.html?hub=${encodeURIComponent(hub.url)}`);
    await tab.waitForFunction(() => 'result' in window, null, { timeout: 60_000 });
    const result = (await tab.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      error?: string;
      threads?: number;
      text?: string;
      streamed?: string;
      tokens?: number;
    };
    const ok =
      !result.error && (result.tokens ?? 0) > 0 && (result.streamed ?? '').length > 0 && result.threads === 2;
    failed ||= !ok;
    step(`${ok ? 'ok  ' : 'FAIL'} ${page} worker: ${JSON.stringify(result)}`);
    await tab.close();
  }
} finally {
  await browser.close();
  preview.kill();
  await hub.close();
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
if (failed) process.exit(1);
step('ok: the packed library installs, typechecks, builds and answers in Chromium with either worker');

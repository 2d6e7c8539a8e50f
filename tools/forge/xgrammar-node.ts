import { copyFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { XgrammarModule } from '../../workers/backends/grammar.ts';

/**
 * XGrammar in Node, for tests and measurements. Its package is a UMD bundle marked `"type": "module"`, which
 * Node will not run (Vite bundles it as CommonJS for the worker): a copy named .cjs runs as the CommonJS it is.
 */
export function loadXgrammarInNode(): XgrammarModule {
  const require = createRequire(import.meta.url);
  const source = require.resolve('@mlc-ai/web-xgrammar');
  const copy = join(mkdtempSync(join(tmpdir(), 'petit-xgrammar-')), 'xgrammar.cjs');
  copyFileSync(source, copy);
  return require(copy) as XgrammarModule;
}

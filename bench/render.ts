/**
 * Re-renders a results file as Markdown (e.g. a run stopped before its end, or after changing the report format):
 *   npx tsx bench/render.ts bench/results/<date>.json [--update]   (--update writes BENCHMARKS.md's results section)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/models.ts';
import { renderMarkdown, writeBenchmarksMd } from './lib/report.ts';
import type { BenchReport } from './lib/results.ts';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/render.ts <results.json> [--update]');
  process.exit(2);
}
const markdown = renderMarkdown(JSON.parse(readFileSync(file, 'utf8')) as BenchReport);
console.log(markdown);
if (flag === '--update') {
  await writeBenchmarksMd(join(REPO_ROOT, 'BENCHMARKS.md'), markdown);
  console.error('BENCHMARKS.md updated');
}

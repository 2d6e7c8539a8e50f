/**
 * `npm test`: everything CI checks, in order — typecheck, lint, unit tests (Node and real Chromium), the
 * production build with its bundle check, the packed library in a fresh app, the benchmark harness in its quick
 * mode, and the end-to-end suite in Chromium — then one summary line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { E2E_REPORT } from '../e2e/env.ts';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const results: { step: string; ok: boolean; seconds: number }[] = [];
const totals: Counts = { passed: 0, failed: 0, skipped: 0 };

function run(step: string, command: string, args: string[]): boolean {
  console.log(`\n▶ ${step}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const ok = status === 0;
  results.push({ step, ok, seconds: (Date.now() - started) / 1000 });
  return ok;
}

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

function addVitest(path: string): void {
  const report = readJson(path) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  } | null;
  if (!report) return void (totals.failed += 1);
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
}

function addPlaywright(path: string): void {
  const report = readJson(path) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  } | null;
  if (!report) return void (totals.failed += 1);
  totals.passed += report.stats.expected + report.stats.flaky;
  totals.failed += report.stats.unexpected;
  totals.skipped += report.stats.skipped;
}

rmSync('test-results', { recursive: true, force: true });
mkdirSync('test-results', { recursive: true });

run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
run('lint', 'npm', ['run', '--silent', 'lint']);
run('unit tests', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=test-results/unit.json',
]);
addVitest('test-results/unit.json');
if (run('build', 'npx', ['vite', 'build', '--logLevel', 'warn'])) {
  run('bundle check', 'npx', ['tsx', 'scripts/check-bundle.ts']);
}
// The published package as another app uses it: pack, install into a fresh Vite app, build, chat in Chromium.
run('library package', 'npx', ['tsx', 'scripts/check-lib.ts']);
// Keeps the benchmark harness working (every path once, on a tiny model); numbers come from `npm run bench`.
run('benchmark harness (quick)', 'npx', ['tsx', 'bench/run.ts', '--quick']);
run('end-to-end tests', 'npx', ['playwright', 'test']);
addPlaywright(E2E_REPORT);

console.log('\nsteps:');
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.step} (${r.seconds.toFixed(0)} s)`);
const stepFailures = results.filter((r) => !r.ok).length;
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(stepFailures > 0 || totals.failed > 0 ? 1 : 0);

/** What the numbers were measured on. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  chromium: string;
  node: string;
  os: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews the numbers. */
  loadAverage: { start: number; end?: number };
  versions: Record<string, string>;
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

export function describeMachine(chromiumPath: string): Machine {
  const cpuInfo = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = /^flags\s*:(.*)$/m.exec(cpuInfo)?.[1] ?? '';
  const simd = ['avx2', 'avx512f', 'avx512_vnni', 'avxvnni'].filter((f) => flags.split(' ').includes(f));
  let chromium = 'unknown';
  try {
    chromium = execFileSync(chromiumPath, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Reported as unknown.
  }
  let os = 'unknown';
  try {
    os = /^PRETTY_NAME="(.*)"$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // Reported as unknown.
  }
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'}${simd.length ? ` (${simd.join(', ')})` : ''}`,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    chromium,
    node: process.version,
    os,
    loadAverage: { start: loadavg()[0]! },
    versions: Object.fromEntries(
      [
        '@huggingface/transformers',
        'onnxruntime-web',
        'onnxruntime-node',
        '@wllama/wllama',
        'playwright-core',
        'vite',
      ].map((n) => [n, packageVersion(n)]),
    ),
  };
}

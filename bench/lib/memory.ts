/**
 * Peak memory of one Chromium instance: every 100 ms, the summed RSS (and PSS, which splits shared pages fairly) of
 * its renderer, GPU and utility processes, read from /proc. Linux only; elsewhere it reports nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function listProcs(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** The renderer, GPU and utility processes started by the browser whose profile is `profileDir`. */
export function browserChildren(profileDir: string): Proc[] {
  const procs = listProcs();
  const root = procs.find((p) => p.cmdline.includes(profileDir) && !p.cmdline.includes('--type='));
  if (!root) return [];
  const byParent = new Map<number, Proc[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const found: Proc[] = [];
  const stack = [root.pid];
  while (stack.length) {
    for (const child of byParent.get(stack.pop()!) ?? []) {
      stack.push(child.pid);
      if (/--type=(renderer|gpu-process|utility)/.test(child.cmdline)) found.push(child);
    }
  }
  return found;
}

function kb(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface MemorySample {
  rss: number;
  pss: number;
}

export function sampleMemory(profileDir: string): MemorySample {
  let rss = 0;
  let pss = 0;
  for (const p of browserChildren(profileDir)) {
    try {
      const rollup = readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8');
      rss += kb(rollup, 'Rss');
      pss += kb(rollup, 'Pss');
    } catch {
      // Gone.
    }
  }
  return { rss, pss };
}

/** Samples until stopped; `peak()` is the largest sum seen since the last `reset()`. */
export class MemoryMonitor {
  private timer: NodeJS.Timeout | null = null;
  private peakRss = 0;
  private peakPss = 0;

  constructor(private readonly profileDir: string) {}

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): MemorySample {
    const s = sampleMemory(this.profileDir);
    this.peakRss = Math.max(this.peakRss, s.rss);
    this.peakPss = Math.max(this.peakPss, s.pss);
    return s;
  }

  reset(): void {
    this.peakRss = 0;
    this.peakPss = 0;
  }

  peak(): MemorySample {
    this.sample();
    return { rss: this.peakRss, pss: this.peakPss };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * Peak memory of one Chromium instance while it is started: every 250 ms the summed RSS (and every second the
 * PSS, which splits shared pages fairly) of its renderer, GPU and utility processes, read from /proc. Linux only;
 * elsewhere it reports nothing.
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

const PAGE_BYTES = 4096;
/** Re-list the browser's processes this often (a page navigation can start a new renderer). */
const RELIST_MS = 2000;
/** PSS walks every page table of the process (milliseconds for a 2 GB renderer): read it less often than RSS. */
const PSS_EVERY = 4;

/**
 * Samples while started; `peak()` is the largest sum seen since the last `reset()`. Its own cost matters: it
 * shares the 2 cores with what it measures. A first version listed every process and read smaps_rollup of each
 * child every 100 ms, in every open browser, for the whole run: it kept 60 % of one core busy and slowed every
 * runtime it measured. Now it runs only during timed runs (start/stop), caches the process list, reads RSS
 * from statm (constant cost) and PSS every fourth sample.
 */
export class MemoryMonitor {
  private timer: NodeJS.Timeout | null = null;
  private peakRss = 0;
  private peakPss = 0;
  private pids: number[] = [];
  private listedAt = 0;
  private samples = 0;

  constructor(private readonly profileDir: string) {}

  start(intervalMs = 250): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(withPss = this.samples++ % PSS_EVERY === 0): MemorySample {
    const now = Date.now();
    if (now - this.listedAt > RELIST_MS) {
      this.pids = browserChildren(this.profileDir).map((p) => p.pid);
      this.listedAt = now;
    }
    let rss = 0;
    let pss = 0;
    for (const pid of this.pids) {
      try {
        rss += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
        if (withPss) pss += kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
      } catch {
        // Gone: the next listing drops it.
      }
    }
    this.peakRss = Math.max(this.peakRss, rss);
    if (withPss) this.peakPss = Math.max(this.peakPss, pss);
    return { rss, pss };
  }

  reset(): void {
    this.peakRss = 0;
    this.peakPss = 0;
  }

  peak(): MemorySample {
    this.listedAt = 0;
    this.sample(true);
    return { rss: this.peakRss, pss: this.peakPss };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

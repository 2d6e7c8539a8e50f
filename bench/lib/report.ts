/** Renders a bench report as Markdown and keeps BENCHMARKS.md's results section up to date. */
import { readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import {
  RUNTIME_LABEL,
  type BenchReport,
  type CaseResult,
  type Runtime,
  type RuntimeResult,
} from './results.ts';
import type { Summary } from './stats.ts';

export const START = '<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->';
export const END = '<!-- bench:results:end -->';

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

function fmt(s: Summary | null, digits = 1): string {
  if (!s) return '—';
  const f = (x: number) => x.toFixed(digits);
  return s.n > 1 ? `**${f(s.median)}** (${f(s.min)}–${f(s.max)})` : `**${f(s.median)}**`;
}

function get(c: CaseResult, runtime: Runtime): RuntimeResult | undefined {
  // A runtime that failed after some timed runs still reports them (its error is in the notes).
  return c.results.find((r) => r.runtime === runtime && !r.skipped && r.runs.length);
}

function ratio(a: RuntimeResult | undefined, b: RuntimeResult | undefined): string {
  const x = a?.decodeTokPerS?.median;
  const y = b?.decodeTokPerS?.median;
  return x && y ? `${(x / y).toFixed(2)}×` : '—';
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const s = report.settings;
  const lines: string[] = [];
  lines.push(
    `### ${report.kind === 'quick' ? 'Quick run' : 'Run'} of ${report.date.slice(0, 16).replace('T', ' ')} UTC${report.label ? ` — ${report.label}` : ''}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; ${m.chromium}; Node ${m.node}. ` +
      `Load average ${m.loadAverage.start.toFixed(1)} at the start, ${m.loadAverage.end?.toFixed(1) ?? '?'} at the end ` +
      `(other work on this shared machine slows every runtime alike, not evenly). Versions: ${Object.entries(
        m.versions,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    '',
    `Settings: ${s.threads} threads everywhere; a ${s.promptTokens}-token prompt (chat template included), ${s.newTokens} greedy tokens; ` +
      `median of ${s.runs} runs (min–max); every browser run is a fresh page loading the model from the browser's store. ` +
      `Took ${Math.floor(report.durationS / 60)} min ${report.durationS % 60} s.`,
    '',
    '**Decode tokens/s and ratios** (the targets: Petit ≥ 0.8× native, ≥ 1× wllama, ≥ 0.95× transformers.js direct; "load" is the machine\'s 1-minute load average when the model\'s runs began)',
    '',
    '| model | Petit | native ORT | Petit/native | wllama (GGUF) | Petit/wllama | transformers.js direct | Petit/direct | Petit cached load ms | Petit peak RSS (× file) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of report.cases) {
    const petit = get(c, 'petit');
    const native = get(c, 'native');
    const wllama = get(c, 'wllama');
    const direct = get(c, 'direct');
    const failed = c.results
      .filter((r) => r.error || r.skipped)
      .map(
        (r) =>
          `${r.runtime} ${r.error ? (r.runs.length ? `failed after ${r.runs.length} runs` : 'failed') : 'skipped'}`,
      );
    lines.push(
      `| ${c.preset} ${c.dtype}${c.loadAverage !== undefined ? ` (load ${c.loadAverage.toFixed(1)})` : ''}${failed.length ? ` (${failed.join(', ')})` : ''} | ${fmt(petit?.decodeTokPerS ?? null)} | ${fmt(native?.decodeTokPerS ?? null)} | ${ratio(petit, native)} | ${fmt(wllama?.decodeTokPerS ?? null)} ${c.ggufType} | ${ratio(petit, wllama)} | ${fmt(direct?.decodeTokPerS ?? null)} | ${ratio(petit, direct)} | ${fmt(petit?.loadMs ?? null, 0)} | ${
        petit?.peakRssBytes
          ? `${MB(petit.peakRssBytes)} (${(petit.peakRssBytes / petit.fileBytes).toFixed(2)}×)`
          : '—'
      } |`,
    );
  }
  lines.push('', ...targets(report), '');
  lines.push('**Every runtime** (median (min–max) of the runs)', '');
  lines.push(
    '| model | runtime | file | load ms | TTFT ms | prefill tok/s | decode tok/s | peak RSS / PSS (idle RSS); PSS over idle | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of report.cases) {
    for (const r of c.results) {
      const overIdle = (r.peakPssBytes ?? 0) - (r.idlePssBytes ?? 0);
      const mem = r.peakRssBytes
        ? `${MB(r.peakRssBytes)} / ${MB(r.peakPssBytes ?? 0)} (${MB(r.idleRssBytes ?? 0)}); PSS over idle ${MB(overIdle)} = ${(overIdle / r.fileBytes).toFixed(2)}× file`
        : '—';
      const notes = [r.skipped, r.error?.split('\n')[0], ...r.notes]
        .filter(Boolean)
        .join('; ')
        .replaceAll('|', '\\|');
      lines.push(
        `| ${c.preset} ${c.dtype} | ${r.runtime} | ${r.file.split('/').pop()} ${MB(r.fileBytes)} | ${fmt(r.loadMs, 0)} | ${fmt(r.ttftMs, 0)} | ${fmt(r.prefillTokPerS, 0)} | ${fmt(r.decodeTokPerS)} | ${mem} | ${notes} |`,
      );
    }
  }
  if (s.contexts.length) {
    lines.push(
      '',
      `**Decode tokens/s as the context grows** (one run of ${s.contextNewTokens ?? 32} tokens after a prompt of N tokens)`,
      '',
    );
    lines.push(
      `| model | runtime | ${s.contexts.join(' | ')} |`,
      `| --- | --- | ${s.contexts.map(() => '---').join(' | ')} |`,
    );
    for (const c of report.cases) {
      for (const r of c.results) {
        if (!r.contextScaling?.length) continue;
        const cells = s.contexts.map((n) => {
          const point = r.contextScaling!.find((p) => p.contextTokens === n);
          return point ? point.decodeTokPerS.toFixed(1) : '—';
        });
        lines.push(`| ${c.preset} ${c.dtype} | ${r.runtime} | ${cells.join(' | ')} |`);
      }
    }
  }
  const chats = report.cases.flatMap((c) =>
    c.results.flatMap((r) => (r.chat ?? []).map((scenario) => ({ c, r, scenario }))),
  );
  if (chats.length) {
    const turns = s.chatTurns ?? Math.max(...chats.map((x) => x.scenario.turns.length));
    lines.push(
      '',
      `**Chat: time to first token per turn, ms** (one conversation of ${turns} turns on a fresh page: each user turn adds about ${s.chatUserTokens ?? 70} tokens, each answer at most ${s.chatAnswerTokens ?? 32}; every prompt holds the whole conversation so far. "reuse" keeps the KV cache across turns. The target: turn ${turns} ≤ 1.2× turn 1. Peak PSS over the idle page covers the load and every turn, as a multiple of the model file)`,
      '',
      `| model | runtime | reuse | ${Array.from({ length: turns }, (_, i) => `${i + 1}`).join(' | ')} | last/first | prompt tokens at the last turn (cached) | peak PSS over idle (× file) |`,
      `| --- | --- | --- | ${Array.from({ length: turns }, () => '---').join(' | ')} | --- | --- | --- |`,
    );
    for (const { c, r, scenario } of chats) {
      const cells = Array.from({ length: turns }, (_, i) => scenario.turns[i]?.ttftMs.toFixed(0) ?? '—');
      const first = scenario.turns[0];
      const last = scenario.turns.at(-1);
      const grown =
        scenario.peakPssBytes && scenario.idlePssBytes
          ? `${MB(scenario.peakPssBytes - scenario.idlePssBytes)} (${((scenario.peakPssBytes - scenario.idlePssBytes) / r.fileBytes).toFixed(2)}×)`
          : '—';
      lines.push(
        `| ${c.preset} ${c.dtype} | ${r.runtime} | ${scenario.reuse ? 'on' : 'off'} | ${cells.join(' | ')} | ${
          first && last && scenario.turns.length > 1 ? `${(last.ttftMs / first.ttftMs).toFixed(2)}×` : '—'
        } | ${last ? `${last.promptTokens} (${last.cachedTokens})` : '—'} | ${grown}${scenario.error ? ` (failed: ${scenario.error.replaceAll('|', '\\|')})` : ''} |`,
      );
    }
  }
  if (report.webgpu) {
    const w = report.webgpu;
    lines.push(
      '',
      `**WebGPU (SwiftShader, correctness only)**: ${w.model}: ${w.ok ? 'ran' : 'FAILED'}; ` +
        `${w.tokensAgreeing ?? 0} of the first ${w.tokensCompared ?? 0} greedy tokens agree with onnxruntime-node. ${w.note}`,
    );
  }
  lines.push(
    '',
    `Runtimes: ${Object.entries(RUNTIME_LABEL)
      .map(([k, v]) => `${k} = ${v}`)
      .join('; ')}.`,
  );
  return lines.join('\n');
}

const yes = (ok: boolean) => (ok ? 'met' : '**not met**');

/** The issue's targets, judged on this run's medians. */
function targets(report: BenchReport): string[] {
  const out = ['**Targets** (on this run)', ''];
  for (const c of report.cases) {
    const petit = get(c, 'petit');
    if (!petit?.decodeTokPerS) continue;
    const p = petit.decodeTokPerS.median;
    const parts: string[] = [];
    const native = get(c, 'native')?.decodeTokPerS?.median;
    if (native) parts.push(`Petit/native ${(p / native).toFixed(2)} (≥ 0.8: ${yes(p / native >= 0.8)})`);
    const wllama = get(c, 'wllama')?.decodeTokPerS?.median;
    if (wllama) parts.push(`Petit/wllama ${(p / wllama).toFixed(2)} (≥ 1: ${yes(p >= wllama)})`);
    const direct = get(c, 'direct')?.decodeTokPerS?.median;
    if (direct)
      parts.push(
        `overhead vs direct ${((1 - p / direct) * 100).toFixed(1)} % (< 5 %: ${yes(p / direct >= 0.95)})`,
      );
    if (c.preset === 'smollm2-135m' && c.dtype === 'q4' && petit.loadMs)
      parts.push(
        `cached load ${Math.round(petit.loadMs.median)} ms (< 1500: ${yes(petit.loadMs.median < 1500)})`,
      );
    if (petit.peakRssBytes) {
      const rss = petit.peakRssBytes / petit.fileBytes;
      const added =
        petit.peakPssBytes && petit.idlePssBytes
          ? (petit.peakPssBytes - petit.idlePssBytes) / petit.fileBytes
          : null;
      parts.push(
        `peak RSS ${rss.toFixed(2)}× the file${added !== null ? `, PSS added by the model ${added.toFixed(2)}×` : ''} (< 1.5: ${yes((added ?? rss) < 1.5)})`,
      );
    }
    out.push(`- ${c.preset} ${c.dtype}: ${parts.join('; ')}`);
  }
  return out;
}

/** Puts `section` between the markers (adding them at the end when absent). */
export function updateBenchmarksMd(existing: string, section: string): string {
  const block = `${START}\n\n${section}\n\n${END}`;
  const a = existing.indexOf(START);
  const b = existing.indexOf(END);
  if (a !== -1 && b > a) return `${existing.slice(0, a)}${block}${existing.slice(b + END.length)}`;
  const head = existing.trim() || '# Benchmarks';
  const heading = head.endsWith('## Latest full run') ? '' : '\n\n## Latest full run';
  return `${head}${heading}\n\n${block}\n`;
}

/** Updates BENCHMARKS.md's results section, formatted as `npm run lint` (Prettier) expects. */
export async function writeBenchmarksMd(path: string, section: string): Promise<void> {
  const updated = updateBenchmarksMd(readFileSync(path, 'utf8'), section);
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(updated, { ...options, filepath: path }));
}

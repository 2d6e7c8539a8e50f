import type { LoadProgress } from '../engine/types.ts';

/**
 * Turns per-file byte counts into the engine's `LoadProgress` events: totals over every file of the model and a
 * download speed over the last three seconds.
 */
export class ProgressTracker {
  private loaded = new Map<string, number>();
  private sizes = new Map<string, number>();
  private window: { at: number; bytes: number }[] = [];

  constructor(
    private readonly model: string,
    private readonly emit: (event: LoadProgress) => void,
  ) {}

  expect(file: string, size: number): void {
    this.sizes.set(file, size);
  }

  private totals(): { loaded: number; total: number } {
    let loaded = 0;
    let total = 0;
    for (const v of this.loaded.values()) loaded += v;
    for (const v of this.sizes.values()) total += v;
    return { loaded, total: Math.max(total, loaded) };
  }

  send(event: Record<string, unknown> & { status: LoadProgress['status'] }): void {
    this.emit({ model: this.model, ...this.totals(), ...event } as LoadProgress);
  }

  progress(file: string, fileLoaded: number, fileTotal: number): void {
    this.loaded.set(file, fileLoaded);
    if (fileTotal > 0) this.sizes.set(file, fileTotal);
    const at = performance.now();
    const { loaded } = this.totals();
    this.window.push({ at, bytes: loaded });
    while (this.window.length > 2 && at - this.window[0].at > 3000) this.window.shift();
    const first = this.window[0];
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0.05 ? (loaded - first.bytes) / seconds : 0;
    this.send({ status: 'progress', file, fileLoaded, fileTotal, bytesPerSecond });
  }
}

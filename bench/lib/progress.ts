/**
 * A one-line progress bar on a terminal (redrawn in place), plain lines elsewhere (CI logs): steps done of the
 * total, the elapsed time and what is running now.
 */
export class Progress {
  private done = 0;
  private label = '';
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private total: number) {}

  addTotal(steps: number): void {
    this.total += steps;
    this.draw();
  }

  /** Names the step now running. */
  step(label: string): void {
    this.label = label;
    if (this.tty) this.draw();
    else process.stderr.write(`[${this.counter()}] ${label}\n`);
  }

  tick(steps = 1): void {
    this.done = Math.min(this.total, this.done + steps);
    this.draw();
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${line}\n`);
    this.draw();
  }

  finish(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }

  private counter(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `${this.done}/${this.total} ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  private draw(): void {
    if (!this.tty) return;
    const width = 28;
    const filled = this.total ? Math.round((width * this.done) / this.total) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const columns = process.stderr.columns || 100;
    const line = `${bar} ${this.counter()} ${this.label}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }
}

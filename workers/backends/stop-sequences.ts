/**
 * Finds OpenAI-style stop sequences in streamed text. Text that could be the start of a stop sequence is
 * held back until the next delta shows whether it is one, so a stop sequence never reaches the user.
 */
export class StopSequenceMatcher {
  text = '';
  stopped = false;
  private held = '';

  constructor(private readonly sequences: readonly string[]) {}

  /** Takes new text, returns what may be shown now. */
  push(delta: string): string {
    if (this.stopped) return '';
    if (this.sequences.length === 0) {
      this.text += delta;
      return delta;
    }
    const pending = this.held + delta;
    let cut = -1;
    for (const seq of this.sequences) {
      const at = pending.indexOf(seq);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stopped = true;
      this.held = '';
      const shown = pending.slice(0, cut);
      this.text += shown;
      return shown;
    }
    let keep = 0;
    for (const seq of this.sequences) {
      for (let n = Math.min(seq.length - 1, pending.length); n > keep; n--) {
        if (pending.endsWith(seq.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    const shown = pending.slice(0, pending.length - keep);
    this.held = pending.slice(pending.length - keep);
    this.text += shown;
    return shown;
  }

  /** At the end of generation, releases text held back as a possible stop-sequence prefix. */
  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    this.text += rest;
    return rest;
  }
}

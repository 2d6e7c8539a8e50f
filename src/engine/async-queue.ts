/** A single-consumer async queue: producers push, one `for await` loop consumes; errors end the iteration. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly onReturn: () => void = () => {}) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      this.waiting.resolve({ value: item, done: false });
      this.waiting = null;
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      this.waiting.resolve({ value: undefined, done: true });
      this.waiting = null;
    }
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    if (this.waiting) {
      this.waiting.reject(error);
      this.waiting = null;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** A consumer that stops early (`break`) ends the generation that feeds the queue. */
  return(): Promise<IteratorResult<T>> {
    if (!this.ended) this.onReturn();
    this.ended = true;
    this.items = [];
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

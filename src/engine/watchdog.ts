/** A limit that applies until the work has moved on (the first token after a long prefill). */
export interface FirstTokenLimit {
  limit: number;
  progressed: () => boolean;
}

/**
 * Pings a worker while it works; one that answers no ping for `baseLimit` ms (or `first.limit` until
 * `first.progressed()`) is hung, and `onHang` is called once with the limit it broke. Returns the stop function.
 */
export function startWatchdog(
  ping: () => Promise<unknown>,
  onHang: (limitMs: number) => void,
  baseLimit: number,
  first?: FirstTokenLimit,
): () => void {
  let lastAnswer = performance.now();
  let waiting = false;
  const timer = setInterval(
    () => {
      const limit = first && !first.progressed() ? first.limit : baseLimit;
      if (performance.now() - lastAnswer > limit) {
        clearInterval(timer);
        onHang(limit);
        return;
      }
      if (waiting) return;
      waiting = true;
      ping().then(
        () => {
          waiting = false;
          lastAnswer = performance.now();
        },
        () => {},
      );
    },
    Math.min(1000, baseLimit / 4),
  );
  return () => clearInterval(timer);
}

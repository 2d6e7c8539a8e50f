import { describe, expect, it } from 'vitest';
import { hangLimitBeforeFirstToken } from './hang-limit.ts';

describe('the watchdog limit before the first token', () => {
  it('is the base limit for an everyday prompt', () => {
    expect(hangLimitBeforeFirstToken(30_000, 200, 300_000)).toBe(30_000);
    expect(hangLimitBeforeFirstToken(30_000, 256 * 3, 300_000)).toBe(30_000);
  });

  it('grows with a long prompt, so a long prefill is not taken for a hang', () => {
    // About 2048 tokens: the prefill that the bench saw restarted by the fixed 30 s limit.
    const limit = hangLimitBeforeFirstToken(30_000, 2048 * 3, 300_000);
    expect(limit).toBe(30_000 + (2048 - 256) * 100);
    expect(limit).toBeGreaterThan(hangLimitBeforeFirstToken(30_000, 1024 * 3, 300_000));
  });

  it('never exceeds the cap (the load watchdog), nor drops below a base limit above the cap', () => {
    expect(hangLimitBeforeFirstToken(30_000, 2_000_000, 300_000)).toBe(300_000);
    expect(hangLimitBeforeFirstToken(900_000, 2_000_000, 300_000)).toBe(900_000);
  });
});

import { describe, expect, it } from 'vitest';
import { type BucketState, takeToken } from './token-bucket';

describe('takeToken', () => {
  const limit = { capacity: 3, periodMs: 60_000 };

  it('starts full and refuses the request after the last token', () => {
    let state: BucketState | undefined;
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const decision = takeToken(state, 1_000, limit);
      state = decision.state;
      allowed.push(decision.allowed);
    }
    expect(allowed).toEqual([true, true, true, false]);
  });

  it('refills continuously at capacity per period and reports when to retry', () => {
    const empty = { tokens: 0, updatedAt: 0 };
    const refused = takeToken(empty, 10_000, limit); // 10 s = 0.5 token at 3/min
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(10); // 0.5 token missing at 0.05 token/s
    expect(takeToken(empty, 20_000, limit).allowed).toBe(true);
  });

  it('never exceeds capacity after a long idle time', () => {
    const decision = takeToken({ tokens: 0, updatedAt: 0 }, 3_600_000, limit);
    expect(decision.remaining).toBe(2);
    expect(decision.resetSeconds).toBe(20);
  });
});

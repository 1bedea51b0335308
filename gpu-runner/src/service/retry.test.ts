import { describe, expect, it } from 'vitest';
import { backoffDelay, retryWithBackoff } from './retry.js';

describe('retryWithBackoff', () => {
  it('retries until success and reports each retry', async () => {
    const seen: number[] = [];
    let calls = 0;
    const value = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { attempts: 5, baseMs: 1, onRetry: (_e, attempt) => seen.push(attempt) },
    );
    expect([value, calls, seen]).toEqual(['ok', 3, [1, 2]]);
  });

  it('rethrows the last error after the attempts, and stops at once when told not to retry', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        { attempts: 3, baseMs: 1 },
      ),
    ).rejects.toThrow('fail 3');
    calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw new Error('fatal');
        },
        { attempts: 3, baseMs: 1, shouldRetry: () => false },
      ),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('doubles the delay per attempt up to 8x, within +-25% jitter', () => {
    for (const [attempt, factor] of [
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 8],
      [7, 8],
    ] as const) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(100, attempt);
        expect(d).toBeGreaterThanOrEqual(75 * factor);
        expect(d).toBeLessThanOrEqual(125 * factor);
      }
    }
  });
});

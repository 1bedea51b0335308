import { describe, expect, it } from 'vitest';
import { KeyedWaiters } from './keyed-waiters';

describe('KeyedWaiters', () => {
  it('wakes the waiters of a key at once, and of any of several keys', async () => {
    const waiters = new KeyedWaiters();
    const started = Date.now();
    const one = waiters.waitFor(['a'], 5_000);
    const either = waiters.waitFor(['b', 'a'], 5_000);
    waiters.wake('a');
    await Promise.all([one, either]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('resolves after the timeout when nobody wakes the key, and a later wake finds no one', async () => {
    const waiters = new KeyedWaiters();
    const started = Date.now();
    await waiters.waitFor(['a'], 30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(() => waiters.wake('a')).not.toThrow();
  });
});

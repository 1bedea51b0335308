/**
 * In-memory wake-ups keyed by a string: callers wait on one or more keys until someone wakes a key or a timeout
 * passes. A Durable Object runs one request at a time, so this plain map needs no locking.
 * @example const waiters = new KeyedWaiters(); await waiters.waitFor(['job_1'], 5_000); // elsewhere: waiters.wake('job_1')
 */
export class KeyedWaiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  /** Resolves when {@link wake} is called for any of `keys` or after `timeoutMs`, whichever comes first. */
  waitFor(keys: string[], timeoutMs: number): Promise<void> {
    const byKey = this.byKey;
    return new Promise<void>((resolve) => {
      const sets = keys.map((key) => {
        const set = byKey.get(key) ?? new Set<() => void>();
        byKey.set(key, set);
        return [key, set] as const;
      });
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        for (const [key, set] of sets) {
          set.delete(done);
          if (set.size === 0 && byKey.get(key) === set) byKey.delete(key);
        }
        resolve();
      }
      for (const [, set] of sets) set.add(done);
    });
  }

  /** Wakes everything waiting on `key`. */
  wake(key: string): void {
    const set = this.byKey.get(key);
    if (!set) return;
    this.byKey.delete(key);
    for (const done of set) done();
  }
}

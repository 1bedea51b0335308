import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Total tries, the first included. */
  attempts: number;
  /** Delay before the second try; doubles each time up to 8x, with +-25% jitter so runners do not retry in step. */
  baseMs: number;
  /** Return false to give up at once (e.g. a 4xx answer). Default: retry everything. */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Runs `fn` until it resolves or `attempts` are used, waiting with exponential backoff between tries. The last error
 * is rethrown unchanged.
 * @example await retryWithBackoff(() => s3.send(put), { attempts: 5, baseMs: 250 })
 */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || opts.signal?.aborted || (opts.shouldRetry && !opts.shouldRetry(err))) throw err;
      const delay = backoffDelay(opts.baseMs, attempt);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

/** Delay after failed try number `attempt` (1-based): base * 2^(attempt-1), capped at 8x base, jittered +-25%. */
export function backoffDelay(baseMs: number, attempt: number): number {
  const raw = baseMs * Math.min(8, 2 ** (attempt - 1));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

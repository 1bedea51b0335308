/** Persistent state of a token bucket. */
export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill computation. */
  updatedAt: number;
}

/** Outcome of {@link takeToken}. */
export interface BucketDecision {
  allowed: boolean;
  state: BucketState;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until one token is available (0 when allowed). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

/**
 * Pure token-bucket step: refills `capacity` tokens per `periodMs` continuously, then takes one token if available.
 * Exactness comes from the caller: a Durable Object runs this for one key at a time.
 * @example takeToken({ tokens: 10, updatedAt: 0 }, 1000, { capacity: 10, periodMs: 60_000 })
 */
export function takeToken(
  previous: BucketState | undefined,
  now: number,
  limit: { capacity: number; periodMs: number },
): BucketDecision {
  const ratePerMs = limit.capacity / limit.periodMs;
  const start = previous ?? { tokens: limit.capacity, updatedAt: now };
  const elapsed = Math.max(0, now - start.updatedAt);
  const tokens = Math.min(limit.capacity, start.tokens + elapsed * ratePerMs);
  const allowed = tokens >= 1;
  const after = allowed ? tokens - 1 : tokens;
  return {
    allowed,
    state: { tokens: after, updatedAt: now },
    remaining: Math.floor(after),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - after) / ratePerMs / 1000)),
    resetSeconds: Math.ceil((limit.capacity - after) / ratePerMs / 1000),
  };
}

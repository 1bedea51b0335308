/** How soon the alarm retries pending key releases (they have no deadline of their own). */
const KEY_RELEASE_RETRY_MS = 5_000;

/**
 * Keeps a shard's single alarm set for its earliest pending deadline: a lease expiry, a webhook retry, a key release
 * retry or a finished job reaching the end of its retention. Each module that creates a deadline calls {@link arm}.
 */
export class AlarmSchedule {
  /** `retentionMs` is asked at each arming, like the rest of the configuration, not fixed when the shard starts. */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly retentionMs: () => number,
  ) {}

  /** Sets the alarm for the earliest pending deadline, if any (never in the past). */
  arm(now: number): void {
    const next = this.storage.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (
           SELECT MIN(lease_expires_at) AS at FROM jobs WHERE status = 'running'
           UNION ALL SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL
           UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM key_releases) THEN ? END
           UNION ALL SELECT MIN(completed_at) + ? FROM jobs WHERE completed_at IS NOT NULL)`,
        now + KEY_RELEASE_RETRY_MS,
        this.retentionMs(),
      )
      .one().at;
    if (next === null) return;
    // setAlarm is cheap and idempotent; storage coalesces it with the surrounding writes.
    void this.storage.setAlarm(Math.max(next, now + 1));
  }
}

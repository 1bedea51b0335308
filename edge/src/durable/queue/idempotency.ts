import type { JobRecord } from '../../jobs/types';
import type { JobTable } from './job-table';
import { KeyedWaiters } from './keyed-waiters';
import { rowToJob } from './schema';

/** An earlier job with the same Idempotency-Key: from the same request (`replay`) or a different one. */
export type IdempotentMatch = { kind: 'replay'; job: JobRecord } | { kind: 'idempotency_mismatch'; job: JobRecord };

/** What a create with a known Idempotency-Key is answered with instead of creating a job. */
export type IdempotencyAnswer = IdempotentMatch | { kind: 'in_progress' } | { kind: 'idempotency_mismatch' };

/** How long a create may hold its Idempotency-Key reservation (admission and uploads) before another may take it. */
export const IDEMPOTENCY_RESERVATION_MS = 60_000;
/** How long a concurrent create of the same request waits for the reservation holder before answering 409. */
export const IDEMPOTENCY_WAIT_MS = 10_000;
/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * Idempotency-Keys of one shard: the jobs created with a key (looked up in the job table) and the reservations of
 * creates still admitting and uploading (`idempotency_reservations`). Creates with a key always land on the shard
 * chosen from (tenant, key), so this shard is the only place to look, and its serial execution makes each check and
 * the write after it one step.
 */
export class IdempotencyKeys {
  private readonly reservationWaiters = new KeyedWaiters();

  /** `place` adds the queue place to a job found here, as every job this shard returns has one. */
  constructor(
    private readonly sql: SqlStorage,
    private readonly jobs: JobTable,
    private readonly place: (job: JobRecord, now: number) => JobRecord,
  ) {}

  /**
   * Reserves `key` for a create that is about to admit and upload (`jobId` is the job it will enqueue). Answers with
   * the earlier job when one holds the key and `idempotency_mismatch` while a create of a different request holds it.
   * A concurrent create of the same request waits (up to `waitMs`) for the holder to enqueue, then gets its job as a
   * replay, so a burst of identical retries sees one job; `in_progress` if the holder takes longer.
   */
  async reserve(
    tenant: string,
    key: string,
    requestHash: string,
    jobId: string,
    waitMs: number,
  ): Promise<{ kind: 'reserved' } | IdempotencyAnswer> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const existing = this.match(tenant, key, requestHash, now);
      if (existing) return existing;
      const held = this.sql
        .exec<{ request_hash: string; expires_at: number }>(
          'SELECT request_hash, expires_at FROM idempotency_reservations WHERE tenant = ? AND idempotency_key = ? AND expires_at > ?',
          tenant,
          key,
          now,
        )
        .toArray()[0];
      if (!held) break;
      if (held.request_hash !== requestHash) return { kind: 'idempotency_mismatch' };
      const remaining = Math.min(deadline, held.expires_at) - now;
      if (remaining <= 0) return { kind: 'in_progress' };
      await this.reservationWaiters.waitFor([slot(tenant, key)], remaining);
    }
    this.sql.exec(
      'INSERT OR REPLACE INTO idempotency_reservations (tenant, idempotency_key, request_hash, job_id, expires_at) VALUES (?, ?, ?, ?, ?)',
      tenant,
      key,
      requestHash,
      jobId,
      Date.now() + IDEMPOTENCY_RESERVATION_MS,
    );
    return { kind: 'reserved' };
  }

  /** Drops the reservation `jobId` holds (its create failed before enqueueing); a waiting retry may take the key. */
  release(tenant: string, key: string, jobId: string): void {
    this.sql.exec(
      'DELETE FROM idempotency_reservations WHERE tenant = ? AND idempotency_key = ? AND job_id = ?',
      tenant,
      key,
      jobId,
    );
    this.reservationWaiters.wake(slot(tenant, key));
  }

  /** The job created with `key` within the window: a replay when it came from the same request, or null. */
  match(tenant: string, key: string, requestHash: string, now: number): IdempotentMatch | null {
    const row = this.jobs.latestWithIdempotencyKey(tenant, key, now - IDEMPOTENCY_WINDOW_MS);
    if (!row) return null;
    const job = this.place(rowToJob(row), now);
    return row.request_hash === requestHash ? { kind: 'replay', job } : { kind: 'idempotency_mismatch', job };
  }

  /** Ends the reservation of `key` because its job is being enqueued now; waiting retries then find that job. */
  settle(tenant: string, key: string): void {
    this.sql.exec('DELETE FROM idempotency_reservations WHERE tenant = ? AND idempotency_key = ?', tenant, key);
    this.reservationWaiters.wake(slot(tenant, key));
  }
}

/** The waiter key of a reservation; a newline cannot occur in a tenant id. */
function slot(tenant: string, key: string): string {
  return `${tenant}\n${key}`;
}

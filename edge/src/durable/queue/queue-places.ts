import type { JobRecord } from '../../jobs/types';
import type { JobTable } from './job-table';
import { afterLease, type DrainStats, NO_DRAIN_STATS, queuePlace } from './place-estimate';

/**
 * A queued job's place in its shard's queue: its position and a wait estimate from the measured drain rate, which is
 * kept in the `drain_stats` row (the arithmetic is in ./place-estimate.ts).
 */
export class QueuePlaces {
  constructor(
    private readonly sql: SqlStorage,
    private readonly jobs: JobTable,
  ) {}

  /** `job` with its place in the queue when it is queued (field `queue`); other jobs unchanged. */
  place(job: JobRecord, now: number): JobRecord {
    if (job.status !== 'queued') return job;
    return { ...job, queue: queuePlace(this.drainStats(), this.jobs.countQueuedAhead(job) + 1, now) };
  }

  /** Updates the drain measurement after a lease at `now`. */
  recordLease(now: number): void {
    const next = afterLease(this.drainStats(), now, this.jobs.countQueued());
    this.sql.exec(
      'INSERT OR REPLACE INTO drain_stats (id, last_lease_at, backlogged, interval_ms, samples) VALUES (1, ?, ?, ?, ?)',
      next.lastLeaseAt,
      next.backlogged ? 1 : 0,
      next.intervalMs,
      next.samples,
    );
  }

  private drainStats(): DrainStats {
    const row = this.sql
      .exec<{ last_lease_at: number | null; backlogged: number; interval_ms: number | null; samples: number }>(
        'SELECT * FROM drain_stats WHERE id = 1',
      )
      .toArray()[0];
    return row
      ? {
          lastLeaseAt: row.last_lease_at,
          backlogged: row.backlogged === 1,
          intervalMs: row.interval_ms,
          samples: row.samples,
        }
      : NO_DRAIN_STATS;
  }
}

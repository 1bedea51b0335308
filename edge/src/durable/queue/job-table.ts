import type { JobRecord, NewJob, Task } from '../../jobs/types';
import { type JobRow, rowToJob } from './schema';

/** Called after every state change, in the same synchronous step, with the job as it now is. */
export type TransitionListener = (job: JobRecord, webhookSecret: string | null, now: number) => void;

/**
 * The `jobs` table of a queue shard. Every change a client can see goes through {@link JobTable.transition}, which
 * bumps the version and tells the listener (watchers, side effects of finished jobs); reads and the insert are here
 * too, so no other module writes SQL against `jobs` except retention, which deletes whole rows.
 */
export class JobTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly onTransition: TransitionListener = () => {},
  ) {}

  /** A job by id, or null. */
  get(id: string): JobRecord | null {
    const row = this.row(id);
    return row ? rowToJob(row) : null;
  }

  /** The raw row of a job (with its webhook secret), or null. */
  row(id: string): JobRow | null {
    return this.sql.exec<JobRow>('SELECT * FROM jobs WHERE id = ?', id).toArray()[0] ?? null;
  }

  /** The newest job of `tenant` created with Idempotency-Key `key` at or after `since`, as a raw row. */
  latestWithIdempotencyKey(tenant: string, key: string, since: number): JobRow | null {
    return (
      this.sql
        .exec<JobRow>(
          'SELECT * FROM jobs WHERE tenant = ? AND idempotency_key = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1',
          tenant,
          key,
          since,
        )
        .toArray()[0] ?? null
    );
  }

  /** The tenant's jobs, newest first, strictly older than the cursor when given. */
  list(tenant: string, limit: number, before: { created_at: number; id: string } | null): JobRecord[] {
    const rows = before
      ? this.sql.exec<JobRow>(
          `SELECT * FROM jobs WHERE tenant = ? AND (created_at < ? OR (created_at = ? AND id < ?))
           ORDER BY created_at DESC, id DESC LIMIT ?`,
          tenant,
          before.created_at,
          before.created_at,
          before.id,
          limit,
        )
      : this.sql.exec<JobRow>(
          'SELECT * FROM jobs WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?',
          tenant,
          limit,
        );
    return rows.toArray().map(rowToJob);
  }

  /** How many jobs are queued. */
  countQueued(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'").one().n;
  }

  /** How many queued jobs are ahead of `job` in lease order (created_at, then id; see {@link oldestQueued}). */
  countQueuedAhead(job: Pick<JobRecord, 'created_at' | 'id'>): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND (created_at < ? OR (created_at = ? AND id < ?))",
        job.created_at,
        job.created_at,
        job.id,
      )
      .one().n;
  }

  /** The id of the next job to lease: the oldest queued job, of `tasks` only when given. */
  oldestQueued(tasks: ReadonlySet<Task> | null): string | null {
    const taskList = tasks ? [...tasks] : [];
    const filter = tasks ? `AND task IN (${taskList.map(() => '?').join(', ')})` : '';
    const row = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM jobs WHERE status = 'queued' ${filter} ORDER BY created_at, id LIMIT 1`,
        ...taskList,
      )
      .toArray()[0];
    return row?.id ?? null;
  }

  /** Running jobs whose lease ended before `now`. */
  expiredLeases(now: number): JobRecord[] {
    return this.sql
      .exec<JobRow>("SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at < ?", now)
      .toArray()
      .map(rowToJob);
  }

  /** Job counts per status. */
  countByStatus(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.sql.exec<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status',
    )) {
      out[row.status] = row.n;
    }
    return out;
  }

  /** Stores a new queued job. */
  insert(job: NewJob, now: number): JobRecord {
    const row = this.sql
      .exec<JobRow>(
        `INSERT INTO jobs (id, tenant, key_object_id, task, params, output_prefix, status, max_attempts,
           webhook_url, webhook_secret, user, idempotency_key, request_hash, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        job.id,
        job.tenant,
        job.key_object_id,
        job.task,
        JSON.stringify(job.params),
        job.output_prefix,
        job.max_attempts,
        job.webhook_url,
        job.webhook_secret,
        job.user,
        job.idempotency_key,
        job.request_hash,
        now,
        now,
      )
      .one();
    return rowToJob(row);
  }

  /**
   * Applies one state change (`assignments` is the SET list, `values` its parameters), bumps the version and tells
   * the listener in the same synchronous step, so whatever the listener records commits with the change.
   */
  transition(id: string, now: number, assignments: string, values: SqlStorageValue[]): JobRecord {
    const row = this.sql
      .exec<JobRow>(
        `UPDATE jobs SET ${assignments}, version = version + 1, updated_at = ? WHERE id = ? RETURNING *`,
        ...values,
        now,
        id,
      )
      .one();
    const job = rowToJob(row);
    this.onTransition(job, row.webhook_secret as string | null, now);
    return job;
  }

  /** Moves a lease's expiry without a transition: nothing a client sees changes, so no version bump, no wake-up. */
  extendLease(id: string, expiresAt: number, now: number): void {
    this.sql.exec('UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ?', expiresAt, now, id);
  }
}

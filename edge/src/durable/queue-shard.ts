import { DurableObject } from 'cloudflare:workers';
import { readConfig } from '../config';
import type { Env } from '../env';
import { presentJob } from '../jobs/present-job';
import { isTerminal, type JobProgress, type JobRecord, type NewJob, type ResultImage, type Task } from '../jobs/types';
import { randomToken } from '../lib/random';
import { ObjectStore } from '../storage/object-store';
import { deliverWebhook, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_MS } from '../webhooks/deliver';
import { makeWebhookMessageId } from '../webhooks/sign';
import { checkWebhookTarget } from '../webhooks/target-policy';
import { afterLease, type DrainStats, NO_DRAIN_STATS, queuePlace } from './queue-place';
import { type JobRow, migrateQueueSchema, rowToJob } from './queue-schema';

/** A granted lease, as returned to a runner. Times are epoch milliseconds. */
export interface LeaseGrant {
  job: JobRecord;
  lease: { id: string; expires_at: number };
}

/** Outcome of {@link QueueShard.enqueue}. */
export type EnqueueResult = { kind: 'queued'; job: JobRecord } | IdempotentMatch | { kind: 'full' };

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

/** The key under which watchers of queued jobs wait for the queue to move (no job id looks like it). */
const QUEUE_MOVED = '*queue';

/** Outcome of a runner call that needs the current lease. */
export type LeaseCheck<T> = ({ kind: 'ok' } & T) | { kind: 'not_found' } | { kind: 'conflict'; status: string };

interface LeaseWaiter {
  tasks: ReadonlySet<Task> | null;
  wake: () => void;
}

/**
 * One shard of the job queue (SQLite-backed). Owns its jobs' whole lifecycle: enqueue, lease with long-poll,
 * heartbeat, complete/fail/release, lease expiry (by alarm), cancellation, and the side effects of finishing a job
 * (freeing the key's running slot, webhooks), which are recorded in the same storage transaction and retried by alarm
 * until done, so none is lost.
 */
export class QueueShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private leaseWaiters: LeaseWaiter[] = [];
  private pendingEnqueues: {
    job: NewJob;
    capacity: number;
    now: number;
    resolve: (result: EnqueueResult) => void;
    reject: (err: unknown) => void;
  }[] = [];
  private readonly jobWatchers = new Map<string, Set<() => void>>();
  private readonly reservationWaiters = new Map<string, Set<() => void>>();
  private sideEffectsRunning = false;
  private sideEffectsAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateQueueSchema(this.sql);
  }

  // ---------------------------------------------------------------- client side

  /**
   * Reserves an Idempotency-Key for a create that is about to admit and upload (`jobId` is the job it will enqueue).
   * Answers with the earlier job when one holds the key (`replay` for the same request, `idempotency_mismatch` for
   * another) and `idempotency_mismatch` while a create of a different request holds it. A concurrent create of the
   * same request waits (up to `waitMs`) for the holder to enqueue, then gets its job as a replay, so a burst of
   * identical retries sees one job; `in_progress` if the holder takes longer. Creates with a key always land on the
   * shard chosen from (tenant, key), so this shard is the only place to look, and its serial execution makes the check
   * and the reservation one step.
   */
  async reserveIdempotencyKey(
    tenant: string,
    key: string,
    requestHash: string,
    jobId: string,
    waitMs = IDEMPOTENCY_WAIT_MS,
  ): Promise<{ kind: 'reserved' } | IdempotencyAnswer> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const existing = this.findIdempotentSync(tenant, key, requestHash, now);
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
      await this.reservationChange(`${tenant}\n${key}`, remaining);
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
  async releaseIdempotencyKey(tenant: string, key: string, jobId: string): Promise<void> {
    this.sql.exec(
      'DELETE FROM idempotency_reservations WHERE tenant = ? AND idempotency_key = ? AND job_id = ?',
      tenant,
      key,
      jobId,
    );
    this.wake(this.reservationWaiters, `${tenant}\n${key}`);
  }

  /** Resolves when the reservation of `slot` (tenant \n key) is enqueued or dropped, or after `timeoutMs`. */
  private reservationChange(slot: string, timeoutMs: number): Promise<void> {
    return this.waitFor(this.reservationWaiters, [slot], timeoutMs);
  }

  private findIdempotentSync(tenant: string, key: string, requestHash: string, now: number): IdempotentMatch | null {
    const row = this.sql
      .exec<JobRow>(
        'SELECT * FROM jobs WHERE tenant = ? AND idempotency_key = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1',
        tenant,
        key,
        now - IDEMPOTENCY_WINDOW_MS,
      )
      .toArray()[0];
    if (!row) return null;
    const job = this.withQueuePlace(rowToJob(row), now);
    return row.request_hash === requestHash ? { kind: 'replay', job } : { kind: 'idempotency_mismatch', job };
  }

  /**
   * Adds a job unless this shard already holds `capacity` queued jobs. With an Idempotency-Key, the duplicate check
   * and the insert happen in one step of this object, so concurrent retries cannot both create a job.
   */
  async enqueue(job: NewJob, capacity: number, now = Date.now()): Promise<EnqueueResult> {
    return new Promise<EnqueueResult>((resolve, reject) => {
      this.pendingEnqueues.push({ job, capacity, now, resolve, reject });
      if (this.pendingEnqueues.length === 1) setTimeout(() => this.flushEnqueues(), 0);
    });
  }

  /**
   * Group commit: inserts every enqueue that arrived since the last flush in one turn, so they share one storage
   * commit. The callers' answers leave only after that commit is durable (the output gate holds them), so a 202 still
   * means the job is stored. Under load this multiplies create throughput; alone, it costs one timer tick.
   */
  private flushEnqueues(): void {
    const batch = this.pendingEnqueues;
    this.pendingEnqueues = [];
    for (const item of batch) {
      try {
        item.resolve(this.insertJob(item.job, item.capacity, item.now));
      } catch (err) {
        item.reject(err);
      }
    }
  }

  private insertJob(job: NewJob, capacity: number, now: number): EnqueueResult {
    if (job.idempotency_key !== null) {
      const existing = this.findIdempotentSync(job.tenant, job.idempotency_key, job.request_hash ?? '', now);
      if (existing) return existing;
      this.sql.exec(
        'DELETE FROM idempotency_reservations WHERE tenant = ? AND idempotency_key = ?',
        job.tenant,
        job.idempotency_key,
      );
      this.wake(this.reservationWaiters, `${job.tenant}\n${job.idempotency_key}`);
    }
    const queued = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'").one().n;
    if (queued >= capacity) return { kind: 'full' };
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
    this.wakeOneLeaseWaiter(job.task);
    return { kind: 'queued', job: this.withQueuePlace(rowToJob(row), now) };
  }

  /**
   * A job, if it exists and belongs to `tenant` (null tenant: any owner, for internal use). A queued job comes with its
   * place in this shard's queue (`queue`, see queue-place.ts).
   */
  async get(id: string, tenant: string | null, now = Date.now()): Promise<JobRecord | null> {
    const row = this.sql.exec<JobRow>('SELECT * FROM jobs WHERE id = ?', id).toArray()[0];
    if (!row || (tenant !== null && row.tenant !== tenant)) return null;
    return this.withQueuePlace(rowToJob(row), now);
  }

  /**
   * Waits until the job's version exceeds `sinceVersion` (any change) or it is terminal, for at most `timeoutMs`. A
   * queued job is also returned when the queue moved (a job left or rejoined it), since its place changed with it.
   * Used by `Prefer: wait` and the SSE stream.
   */
  async watch(id: string, tenant: string, sinceVersion: number, timeoutMs: number): Promise<JobRecord | null> {
    const current = await this.get(id, tenant);
    if (!current || current.version > sinceVersion || isTerminal(current.status) || timeoutMs <= 0) return current;
    await this.waitFor(this.jobWatchers, current.status === 'queued' ? [id, QUEUE_MOVED] : [id], timeoutMs);
    return this.get(id, tenant);
  }

  /** `job` with its place in the queue when it is queued: its position among this shard's queued jobs, an estimate. */
  private withQueuePlace(job: JobRecord, now: number): JobRecord {
    if (job.status !== 'queued') return job;
    // The order tryLease hands jobs out in: created_at, then id.
    const ahead = this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND (created_at < ? OR (created_at = ? AND id < ?))",
        job.created_at,
        job.created_at,
        job.id,
      )
      .one().n;
    return { ...job, queue: queuePlace(this.drainStats(), ahead + 1, now) };
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

  /** Wakes the watchers of queued jobs: a job left the queue or rejoined it, so places changed. */
  private queueMoved(): void {
    this.wake(this.jobWatchers, QUEUE_MOVED);
  }

  /** The tenant's jobs on this shard, newest first, strictly older than the cursor when given. */
  async list(tenant: string, limit: number, before: { created_at: number; id: string } | null): Promise<JobRecord[]> {
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
    const now = Date.now();
    return rows.toArray().map((row) => this.withQueuePlace(rowToJob(row), now));
  }

  /**
   * Cancels a job. A queued job stops at once; a running job is marked cancelled and its runner learns it at the next
   * heartbeat. Cancelling a cancelled job is a no-op; a finished job cannot be cancelled.
   */
  async cancel(
    id: string,
    tenant: string,
    now = Date.now(),
  ): Promise<{ kind: 'ok' | 'conflict'; job: JobRecord } | { kind: 'not_found' }> {
    const job = await this.get(id, tenant);
    if (!job) return { kind: 'not_found' };
    if (job.status === 'cancelled') return { kind: 'ok', job };
    if (isTerminal(job.status)) return { kind: 'conflict', job };
    const updated = this.transition(id, now, "status = 'cancelled', completed_at = ?", [now]);
    if (job.status === 'queued') this.queueMoved();
    return { kind: 'ok', job: updated };
  }

  // ---------------------------------------------------------------- runner side

  /**
   * Leases the oldest queued job (optionally only of `tasks`), waiting up to `waitMs` for one to arrive.
   * Returns null when nothing arrived in time.
   */
  async lease(runnerId: string, tasks: Task[] | null, waitMs: number, leaseTtlMs: number): Promise<LeaseGrant | null> {
    const taskSet = tasks && tasks.length > 0 ? new Set(tasks) : null;
    const deadline = Date.now() + Math.max(0, waitMs);
    for (;;) {
      const now = Date.now();
      this.expireLeases(now);
      const grant = this.tryLease(runnerId, taskSet, leaseTtlMs, now);
      if (grant) return grant;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await new Promise<void>((resolve) => {
        const waiter: LeaseWaiter = { tasks: taskSet, wake: () => done() };
        const timer = setTimeout(() => done(), remaining);
        const done = () => {
          clearTimeout(timer);
          this.leaseWaiters = this.leaseWaiters.filter((w) => w !== waiter);
          resolve();
        };
        this.leaseWaiters.push(waiter);
      });
    }
  }

  /** Extends a lease and records progress; tells the runner whether the job was cancelled. */
  async heartbeat(
    id: string,
    leaseId: string,
    progress: JobProgress | null,
    leaseTtlMs: number,
    now = Date.now(),
  ): Promise<LeaseCheck<{ cancel: boolean; lease_expires_at: number }>> {
    this.expireLeases(now);
    const job = await this.get(id, null);
    if (!job) return { kind: 'not_found' };
    if (job.lease_id !== leaseId) return { kind: 'conflict', status: job.status };
    if (job.status === 'cancelled') return { kind: 'ok', cancel: true, lease_expires_at: job.lease_expires_at ?? now };
    if (job.status !== 'running') return { kind: 'conflict', status: job.status };
    const expiresAt = now + leaseTtlMs;
    if (progress) {
      const { previews, ...shown } = progress;
      // Previews accumulate over the job's attempts (each stores the same keys); only steps the job asked for count.
      const asked = new Set(job.params.preview_steps ?? []);
      const known = [...new Set([...job.previews, ...(previews ?? []).filter((step) => asked.has(step))])].sort(
        (a, b) => a - b,
      );
      this.transition(id, now, 'lease_expires_at = ?, progress = ?, previews = ?', [
        expiresAt,
        JSON.stringify(shown),
        JSON.stringify(known),
      ]);
    } else {
      // A bare heartbeat changes nothing a client can see: no version bump, no watcher wake-up.
      this.sql.exec('UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ?', expiresAt, now, id);
    }
    this.scheduleAlarm(now);
    return { kind: 'ok', cancel: false, lease_expires_at: expiresAt };
  }

  /** Records success. A repeated completion by the same lease is acknowledged as a duplicate and changes nothing. */
  async complete(
    id: string,
    leaseId: string,
    result: { images: ResultImage[]; timings_ms?: Record<string, number> },
    now = Date.now(),
  ): Promise<LeaseCheck<{ duplicate: boolean }> | { kind: 'invalid'; message: string }> {
    this.expireLeases(now);
    const job = await this.get(id, null);
    if (!job) return { kind: 'not_found' };
    if (job.lease_id !== leaseId) return { kind: 'conflict', status: job.status };
    if (job.status === 'succeeded') return { kind: 'ok', duplicate: true };
    if (job.status !== 'running') return { kind: 'conflict', status: job.status };
    if (result.images.length !== job.params.n) {
      return { kind: 'invalid', message: `expected ${job.params.n} images, got ${result.images.length}` };
    }
    const outside = result.images.find((image) => !image.key.startsWith(job.output_prefix) || image.key.includes('..'));
    if (outside) return { kind: 'invalid', message: `image key ${outside.key} is outside ${job.output_prefix}` };
    this.transition(id, now, "status = 'succeeded', result = ?, completed_at = ?, progress = NULL", [
      JSON.stringify(result),
      now,
    ]);
    return { kind: 'ok', duplicate: false };
  }

  /** Records a failure: retryable failures requeue the job until its attempts are used up; others fail it. */
  async fail(
    id: string,
    leaseId: string,
    error: { code: string; message: string },
    retryable: boolean,
    now = Date.now(),
  ): Promise<LeaseCheck<{ status: string }>> {
    this.expireLeases(now);
    const job = await this.get(id, null);
    if (!job) return { kind: 'not_found' };
    if (job.lease_id !== leaseId) return { kind: 'conflict', status: job.status };
    if (job.status === 'cancelled' || job.status === 'failed') return { kind: 'ok', status: job.status };
    if (job.status !== 'running') return { kind: 'conflict', status: job.status };
    if (retryable && job.attempts < job.max_attempts) {
      this.transition(
        id,
        now,
        "status = 'queued', lease_id = NULL, lease_expires_at = NULL, runner_id = NULL, progress = NULL",
        [],
      );
      this.queueMoved();
      this.wakeOneLeaseWaiter(job.task);
      return { kind: 'ok', status: 'queued' };
    }
    const finalError = retryable
      ? {
          code: 'attempts_exhausted',
          message: `Failed after ${job.attempts} attempts; last error: ${error.code}: ${error.message}`,
        }
      : error;
    this.transition(id, now, "status = 'failed', error = ?, completed_at = ?", [JSON.stringify(finalError), now]);
    return { kind: 'ok', status: 'failed' };
  }

  /** Returns a leased job to the queue without spending an attempt (runner shutting down). */
  async release(id: string, leaseId: string, now = Date.now()): Promise<LeaseCheck<{ status: string }>> {
    this.expireLeases(now);
    const job = await this.get(id, null);
    if (!job) return { kind: 'not_found' };
    if (job.lease_id !== leaseId) return { kind: 'conflict', status: job.status };
    if (job.status !== 'running') return { kind: 'ok', status: job.status };
    this.transition(
      id,
      now,
      "status = 'queued', attempts = MAX(attempts - 1, 0), lease_id = NULL, lease_expires_at = NULL, runner_id = NULL, progress = NULL",
      [],
    );
    this.queueMoved();
    this.wakeOneLeaseWaiter(job.task);
    return { kind: 'ok', status: 'queued' };
  }

  /** Counts of jobs per status and pending side effects (monitoring, tests). */
  async stats(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const row of this.sql.exec<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status',
    )) {
      out[row.status] = row.n;
    }
    out.pending_key_releases = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM key_releases').one().n;
    out.pending_webhooks = this.sql
      .exec<{ n: number }>(
        'SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL',
      )
      .one().n;
    return out;
  }

  /** Delivery log of a job's webhooks (tests, support). */
  async webhookDeliveries(jobId: string): Promise<Record<string, SqlStorageValue>[]> {
    return this.sql.exec('SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at', jobId).toArray();
  }

  // ---------------------------------------------------------------- internals

  /** Alarm: expire leases, retry side effects, then re-arm for the next deadline. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.expireLeases(now);
    this.deleteExpiredJobs(now);
    await this.runSideEffects();
    this.scheduleAlarm(Date.now());
  }

  /**
   * Deletes finished jobs older than the retention period (JOB_RETENTION_DAYS), in batches, with their webhook log.
   * Their bucket objects expire by the bucket's lifecycle rule. Returns how many jobs were deleted.
   */
  deleteExpiredJobs(now: number): number {
    const cutoff = now - readConfig(this.env).jobRetentionMs;
    const ids = this.sql
      .exec<{ id: string }>(
        'SELECT id FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ? LIMIT 1000',
        cutoff,
      )
      .toArray()
      .map((row) => row.id);
    for (const id of ids) {
      this.sql.exec('DELETE FROM webhook_deliveries WHERE job_id = ?', id);
      this.sql.exec('DELETE FROM jobs WHERE id = ?', id);
    }
    return ids.length;
  }

  /**
   * Returns expired leases to the queue, or fails the job when its attempts are used up. Runs before every runner
   * call and from the alarm, so expiry does not depend on runners polling.
   */
  expireLeases(now: number): number {
    const expired = this.sql
      .exec<{ id: string; attempts: number; max_attempts: number; task: string }>(
        "SELECT id, attempts, max_attempts, task FROM jobs WHERE status = 'running' AND lease_expires_at < ?",
        now,
      )
      .toArray();
    for (const job of expired) {
      if (job.attempts >= job.max_attempts) {
        const error = {
          code: 'attempts_exhausted',
          message: `The job's lease expired on all ${job.attempts} attempts.`,
        };
        this.transition(job.id, now, "status = 'failed', error = ?, completed_at = ?", [JSON.stringify(error), now]);
      } else {
        this.transition(
          job.id,
          now,
          "status = 'queued', lease_id = NULL, lease_expires_at = NULL, runner_id = NULL, progress = NULL",
          [],
        );
        this.queueMoved();
        this.wakeOneLeaseWaiter(job.task as Task);
      }
    }
    return expired.length;
  }

  private tryLease(
    runnerId: string,
    tasks: ReadonlySet<Task> | null,
    leaseTtlMs: number,
    now: number,
  ): LeaseGrant | null {
    const taskList = tasks ? [...tasks] : [];
    const filter = tasks ? `AND task IN (${taskList.map(() => '?').join(', ')})` : '';
    const candidate = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM jobs WHERE status = 'queued' ${filter} ORDER BY created_at, id LIMIT 1`,
        ...taskList,
      )
      .toArray()[0];
    if (!candidate) return null;
    const leaseId = `lease_${randomToken(20)}`;
    const expiresAt = now + leaseTtlMs;
    const job = this.transition(
      candidate.id,
      now,
      "status = 'running', attempts = attempts + 1, lease_id = ?, lease_expires_at = ?, runner_id = ?, started_at = COALESCE(started_at, ?), progress = NULL",
      [leaseId, expiresAt, runnerId, now],
    );
    this.recordLease(now);
    this.queueMoved();
    this.scheduleAlarm(now);
    return { job, lease: { id: leaseId, expires_at: expiresAt } };
  }

  /** Updates the drain measurement after a lease at `now` (see queue-place.ts). */
  private recordLease(now: number): void {
    const queuedAfter = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'").one().n;
    const next = afterLease(this.drainStats(), now, queuedAfter);
    this.sql.exec(
      'INSERT OR REPLACE INTO drain_stats (id, last_lease_at, backlogged, interval_ms, samples) VALUES (1, ?, ?, ?, ?)',
      next.lastLeaseAt,
      next.backlogged ? 1 : 0,
      next.intervalMs,
      next.samples,
    );
  }

  /**
   * Applies one state change, bumps the version, wakes watchers and, when the job became terminal, records its side
   * effects in the same synchronous storage step (so they commit together).
   */
  private transition(id: string, now: number, assignments: string, values: SqlStorageValue[]): JobRecord {
    const row = this.sql
      .exec<JobRow>(
        `UPDATE jobs SET ${assignments}, version = version + 1, updated_at = ? WHERE id = ? RETURNING *`,
        ...values,
        now,
        id,
      )
      .one();
    const job = rowToJob(row);
    if (isTerminal(job.status)) this.recordTerminalEffects(job, row.webhook_secret as string | null, now);
    this.wake(this.jobWatchers, id);
    return job;
  }

  private recordTerminalEffects(job: JobRecord, webhookSecret: string | null, now: number): void {
    this.sql.exec(
      'INSERT OR IGNORE INTO key_releases (job_id, key_object_id) VALUES (?, ?)',
      job.id,
      job.key_object_id,
    );
    if (job.webhook_url && webhookSecret) {
      this.sql.exec(
        'INSERT INTO webhook_deliveries (message_id, job_id, event_type, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)',
        makeWebhookMessageId(),
        job.id,
        `job.${job.status}`,
        now,
        now,
      );
    }
    // Run now; the alarm is the safety net if this isolate dies first.
    this.scheduleAlarm(now);
    this.ctx.waitUntil(this.runSideEffects());
  }

  /** Resolves when `wake(waiters, key)` is called for any of `keys` or after `timeoutMs`, whichever comes first. */
  private waitFor(waiters: Map<string, Set<() => void>>, keys: string[], timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sets = keys.map((key) => {
        const set = waiters.get(key) ?? new Set<() => void>();
        waiters.set(key, set);
        return [key, set] as const;
      });
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        for (const [key, set] of sets) {
          set.delete(done);
          if (set.size === 0 && waiters.get(key) === set) waiters.delete(key);
        }
        resolve();
      }
      for (const [, set] of sets) set.add(done);
    });
  }

  /** Wakes everything waiting on `key`. */
  private wake(waiters: Map<string, Set<() => void>>, key: string): void {
    const set = waiters.get(key);
    if (!set) return;
    waiters.delete(key);
    for (const done of set) done();
  }

  private wakeOneLeaseWaiter(task: Task): void {
    const waiter = this.leaseWaiters.find((w) => !w.tasks || w.tasks.has(task));
    waiter?.wake();
  }

  /** Frees key slots and sends due webhooks. Never runs twice at once in one isolate. */
  private async runSideEffects(): Promise<void> {
    if (this.sideEffectsRunning) {
      this.sideEffectsAgain = true;
      return;
    }
    this.sideEffectsRunning = true;
    try {
      do {
        this.sideEffectsAgain = false;
        await this.flushKeyReleases();
        await this.deliverDueWebhooks(Date.now());
      } while (this.sideEffectsAgain);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', where: 'queue-shard side effects', message: String(err) }));
    } finally {
      this.sideEffectsRunning = false;
    }
  }

  private async flushKeyReleases(): Promise<void> {
    const pending = this.sql
      .exec<{ job_id: string; key_object_id: string }>('SELECT * FROM key_releases LIMIT 100')
      .toArray();
    await Promise.all(
      pending.map(async ({ job_id, key_object_id }) => {
        try {
          await this.env.API_KEYS.get(this.env.API_KEYS.idFromString(key_object_id)).releaseJob(job_id);
          this.sql.exec('DELETE FROM key_releases WHERE job_id = ?', job_id);
        } catch (err) {
          console.error(JSON.stringify({ level: 'warn', where: 'key release', job_id, message: String(err) }));
        }
      }),
    );
  }

  private async deliverDueWebhooks(now: number): Promise<void> {
    const due = this.sql
      .exec<{ message_id: string; job_id: string; event_type: string; attempts: number }>(
        'SELECT message_id, job_id, event_type, attempts FROM webhook_deliveries WHERE next_attempt_at <= ? LIMIT 20',
        now,
      )
      .toArray();
    if (due.length === 0) return;
    const config = readConfig(this.env);
    const store = config.s3 ? new ObjectStore(config.s3) : null;
    await Promise.all(
      due.map(async (delivery) => {
        const row = this.sql.exec<JobRow>('SELECT * FROM jobs WHERE id = ?', delivery.job_id).toArray()[0];
        if (!row?.webhook_url || !row.webhook_secret) {
          this.sql.exec(
            'UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE message_id = ?',
            delivery.message_id,
          );
          return;
        }
        const url = row.webhook_url as string;
        // Re-check at send time: the policy may have been tightened since the job was created.
        const problem = checkWebhookTarget(url, {
          allowPrivate: config.allowPrivateWebhooks,
          requireHttps: config.environment === 'production',
        });
        const attempt = delivery.attempts + 1;
        let outcome: { delivered: boolean; status: number | null; error: string | null };
        if (problem) {
          outcome = { delivered: false, status: null, error: problem.message };
        } else {
          const data = await presentJob(rowToJob(row), store, config.resultUrlTtlSeconds);
          const body = JSON.stringify({ type: delivery.event_type, timestamp: new Date(now).toISOString(), data });
          outcome = await deliverWebhook({
            url,
            secret: row.webhook_secret as string,
            messageId: delivery.message_id,
            body,
            now,
          });
        }
        const retryAt =
          outcome.delivered || problem || attempt >= WEBHOOK_MAX_ATTEMPTS
            ? null
            : now + WEBHOOK_RETRY_DELAYS_MS[attempt - 1];
        this.sql.exec(
          `UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?,
             delivered_at = ? WHERE message_id = ?`,
          attempt,
          outcome.status,
          outcome.error,
          retryAt,
          outcome.delivered ? now : null,
          delivery.message_id,
        );
      }),
    );
    this.scheduleAlarm(Date.now());
  }

  /** Arms the alarm for the earliest pending deadline: a lease expiry, a webhook retry or a key release retry. */
  private scheduleAlarm(now: number): void {
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (
           SELECT MIN(lease_expires_at) AS at FROM jobs WHERE status = 'running'
           UNION ALL SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL
           UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM key_releases) THEN ? END
           UNION ALL SELECT MIN(completed_at) + ? FROM jobs WHERE completed_at IS NOT NULL)`,
        now + 5_000,
        readConfig(this.env).jobRetentionMs,
      )
      .one().at;
    if (next === null) return;
    // setAlarm is cheap and idempotent; storage coalesces it with the surrounding writes.
    void this.ctx.storage.setAlarm(Math.max(next, now + 1));
  }
}

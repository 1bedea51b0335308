import { DurableObject } from 'cloudflare:workers';
import { readConfig } from '../config';
import type { Env } from '../env';
import { isTerminal, type JobProgress, type JobRecord, type NewJob, type ResultImage, type Task } from '../jobs/types';
import { AlarmSchedule } from './queue/alarm-schedule';
import { GroupCommit } from './queue/group-commit';
import {
  IDEMPOTENCY_WAIT_MS,
  type IdempotencyAnswer,
  IdempotencyKeys,
  type IdempotentMatch,
} from './queue/idempotency';
import { type CancelResult, JobLifecycle, type LeaseCheck, type LeaseGrant } from './queue/job-lifecycle';
import { JobTable } from './queue/job-table';
import { JobWatchers } from './queue/job-watchers';
import { LeaseWaiters } from './queue/lease-waiters';
import { Outbox } from './queue/outbox';
import { QueuePlaces } from './queue/queue-places';
import { deleteExpiredJobs } from './queue/retention';
import { migrateQueueSchema } from './queue/schema';

/** Outcome of {@link QueueShard.enqueue}. */
export type EnqueueResult = { kind: 'queued'; job: JobRecord } | IdempotentMatch | { kind: 'full' };

interface EnqueueRequest {
  job: NewJob;
  capacity: number;
  now: number;
}

/**
 * One shard of the job queue (SQLite-backed). Owns its jobs' whole lifecycle: enqueue, lease with long-poll,
 * heartbeat, complete/fail/release, lease expiry (by alarm), cancellation, and the side effects of finishing a job
 * (freeing the key's running slot, webhooks), which are recorded in the same storage transaction and retried by alarm
 * until done, so none is lost. The work is done by the modules in ./queue/; this class wires them together and is the
 * RPC surface the routes call.
 */
export class QueueShard extends DurableObject<Env> {
  private readonly jobs: JobTable;
  private readonly places: QueuePlaces;
  private readonly watchers = new JobWatchers();
  private readonly leaseWaiters = new LeaseWaiters();
  private readonly idempotency: IdempotencyKeys;
  private readonly lifecycle: JobLifecycle;
  private readonly alarms: AlarmSchedule;
  private readonly outbox: Outbox;
  private readonly enqueues = new GroupCommit((request: EnqueueRequest) => this.insertJob(request));

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    migrateQueueSchema(sql);
    this.alarms = new AlarmSchedule(ctx.storage, () => readConfig(env).jobRetentionMs);
    this.jobs = new JobTable(sql, (job, webhookSecret, now) => this.afterTransition(job, webhookSecret, now));
    this.outbox = new Outbox(sql, env, this.jobs, this.alarms);
    this.places = new QueuePlaces(sql, this.jobs);
    this.idempotency = new IdempotencyKeys(sql, this.jobs, (job, now) => this.places.place(job, now));
    this.lifecycle = new JobLifecycle(this.jobs, this.places, this.watchers, this.leaseWaiters, this.alarms);
  }

  // ---------------------------------------------------------------- client side

  /** Reserves an Idempotency-Key for a create about to admit and upload; see {@link IdempotencyKeys.reserve}. */
  async reserveIdempotencyKey(
    tenant: string,
    key: string,
    requestHash: string,
    jobId: string,
    waitMs = IDEMPOTENCY_WAIT_MS,
  ): Promise<{ kind: 'reserved' } | IdempotencyAnswer> {
    return this.idempotency.reserve(tenant, key, requestHash, jobId, waitMs);
  }

  /** Drops the reservation `jobId` holds (its create failed before enqueueing); a waiting retry may take the key. */
  async releaseIdempotencyKey(tenant: string, key: string, jobId: string): Promise<void> {
    this.idempotency.release(tenant, key, jobId);
  }

  /**
   * Adds a job unless this shard already holds `capacity` queued jobs. With an Idempotency-Key, the duplicate check
   * and the insert happen in one step of this object, so concurrent retries cannot both create a job. Enqueues are
   * group-committed (see {@link GroupCommit}); the answer still leaves only once the job is stored.
   */
  async enqueue(job: NewJob, capacity: number, now = Date.now()): Promise<EnqueueResult> {
    return this.enqueues.submit({ job, capacity, now });
  }

  private insertJob({ job, capacity, now }: EnqueueRequest): EnqueueResult {
    if (job.idempotency_key !== null) {
      const existing = this.idempotency.match(job.tenant, job.idempotency_key, job.request_hash ?? '', now);
      if (existing) return existing;
      this.idempotency.settle(job.tenant, job.idempotency_key);
    }
    if (this.jobs.countQueued() >= capacity) return { kind: 'full' };
    const inserted = this.jobs.insert(job, now);
    this.leaseWaiters.wakeOne(job.task);
    return { kind: 'queued', job: this.places.place(inserted, now) };
  }

  /**
   * A job, if it exists and belongs to `tenant` (null tenant: any owner, for internal use). A queued job comes with its
   * place in this shard's queue (`queue`, see queue-place.ts).
   */
  async get(id: string, tenant: string | null, now = Date.now()): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    if (!job || (tenant !== null && job.tenant !== tenant)) return null;
    return this.places.place(job, now);
  }

  /**
   * Waits until the job's version exceeds `sinceVersion` (any change) or it is terminal, for at most `timeoutMs`. A
   * queued job is also returned when the queue moved (a job left or rejoined it), since its place changed with it.
   * Used by `Prefer: wait` and the SSE stream.
   */
  async watch(id: string, tenant: string, sinceVersion: number, timeoutMs: number): Promise<JobRecord | null> {
    const current = await this.get(id, tenant);
    if (!current || current.version > sinceVersion || isTerminal(current.status) || timeoutMs <= 0) return current;
    await this.watchers.wait(id, current.status === 'queued', timeoutMs);
    return this.get(id, tenant);
  }

  /** The tenant's jobs on this shard, newest first, strictly older than the cursor when given. */
  async list(tenant: string, limit: number, before: { created_at: number; id: string } | null): Promise<JobRecord[]> {
    const now = Date.now();
    return this.jobs.list(tenant, limit, before).map((job) => this.places.place(job, now));
  }

  /** Cancels a job; see {@link JobLifecycle.cancel}. */
  async cancel(id: string, tenant: string, now = Date.now()): Promise<CancelResult> {
    return this.lifecycle.cancel(id, tenant, now);
  }

  // ---------------------------------------------------------------- runner side

  /** Leases the oldest queued job (of `tasks` only when given), waiting up to `waitMs`; null when none came. */
  async lease(runnerId: string, tasks: Task[] | null, waitMs: number, leaseTtlMs: number): Promise<LeaseGrant | null> {
    return this.lifecycle.lease(runnerId, tasks, waitMs, leaseTtlMs);
  }

  /** Extends a lease and records progress; tells the runner whether the job was cancelled. */
  async heartbeat(
    id: string,
    leaseId: string,
    progress: JobProgress | null,
    leaseTtlMs: number,
    now = Date.now(),
  ): Promise<LeaseCheck<{ cancel: boolean; lease_expires_at: number }>> {
    return this.lifecycle.heartbeat(id, leaseId, progress, leaseTtlMs, now);
  }

  /** Records success. A repeated completion by the same lease is acknowledged as a duplicate and changes nothing. */
  async complete(
    id: string,
    leaseId: string,
    result: { images: ResultImage[]; timings_ms?: Record<string, number> },
    now = Date.now(),
  ): Promise<LeaseCheck<{ duplicate: boolean }> | { kind: 'invalid'; message: string }> {
    return this.lifecycle.complete(id, leaseId, result, now);
  }

  /** Records a failure: retryable failures requeue the job until its attempts are used up; others fail it. */
  async fail(
    id: string,
    leaseId: string,
    error: { code: string; message: string },
    retryable: boolean,
    now = Date.now(),
  ): Promise<LeaseCheck<{ status: string }>> {
    return this.lifecycle.fail(id, leaseId, error, retryable, now);
  }

  /** Returns a leased job to the queue without spending an attempt (runner shutting down). */
  async release(id: string, leaseId: string, now = Date.now()): Promise<LeaseCheck<{ status: string }>> {
    return this.lifecycle.release(id, leaseId, now);
  }

  /** Counts of jobs per status and pending side effects (monitoring). */
  async stats(): Promise<Record<string, number>> {
    return { ...this.jobs.countByStatus(), ...this.outbox.pending() };
  }

  // ---------------------------------------------------------------- internals

  /** Alarm: expire leases, delete jobs past retention, retry side effects, then re-arm for the next deadline. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.lifecycle.expireLeases(now);
    deleteExpiredJobs(this.ctx.storage.sql, now, readConfig(this.env).jobRetentionMs);
    await this.outbox.run();
    this.alarms.arm(Date.now());
  }

  /** Runs in the synchronous step of every transition, so what it records commits with the change. */
  private afterTransition(job: JobRecord, webhookSecret: string | null, now: number): void {
    if (this.outbox.recordIfFinished(job, webhookSecret, now)) {
      // Send now; the alarm is the safety net if this isolate dies first.
      this.alarms.arm(now);
      this.ctx.waitUntil(this.outbox.run());
    }
    this.watchers.changed(job.id);
  }
}

import { isTerminal, type JobProgress, type JobRecord, type ResultImage, type Task } from '../../jobs/types';
import { randomToken } from '../../lib/random';
import type { AlarmSchedule } from './alarm-schedule';
import type { JobTable } from './job-table';
import type { JobWatchers } from './job-watchers';
import type { LeaseWaiters } from './lease-waiters';
import type { QueuePlaces } from './queue-places';

/** A granted lease, as returned to a runner. Times are epoch milliseconds. */
export interface LeaseGrant {
  job: JobRecord;
  lease: { id: string; expires_at: number };
}

/** Outcome of a call that needs the current lease: the job is unknown, or the lease is not the job's current one. */
export type LeaseRefusal = { kind: 'not_found' } | { kind: 'conflict'; status: string };

/** Outcome of a runner call that needs the current lease. */
export type LeaseCheck<T> = ({ kind: 'ok' } & T) | LeaseRefusal;

/** Outcome of {@link JobLifecycle.cancel}. */
export type CancelResult = { kind: 'ok' | 'conflict'; job: JobRecord } | { kind: 'not_found' };

const REQUEUE = "status = 'queued', lease_id = NULL, lease_expires_at = NULL, runner_id = NULL, progress = NULL";

/**
 * The state machine of a shard's jobs: queued -> running (lease) -> succeeded | failed | queued again (retryable
 * failure, expiry, release), and cancelled from queued or running. Every change goes through
 * {@link JobTable.transition}; this class decides which change is allowed and who else must hear of it (watchers of
 * the queue, blocked runners, the alarm).
 */
export class JobLifecycle {
  constructor(
    private readonly jobs: JobTable,
    private readonly places: QueuePlaces,
    private readonly watchers: JobWatchers,
    private readonly leaseWaiters: LeaseWaiters,
    private readonly alarm: AlarmSchedule,
  ) {}

  /**
   * Cancels a job. A queued job stops at once; a running job is marked cancelled and its runner learns it at the next
   * heartbeat. Cancelling a cancelled job is a no-op; a finished job cannot be cancelled.
   */
  cancel(id: string, tenant: string, now: number): CancelResult {
    const job = this.jobs.get(id);
    if (!job || job.tenant !== tenant) return { kind: 'not_found' };
    if (job.status === 'cancelled') return { kind: 'ok', job };
    if (isTerminal(job.status)) return { kind: 'conflict', job };
    const updated = this.jobs.transition(id, now, "status = 'cancelled', completed_at = ?", [now]);
    if (job.status === 'queued') this.watchers.queueMoved();
    return { kind: 'ok', job: updated };
  }

  /**
   * Leases the oldest queued job (of `tasks` only when given), waiting up to `waitMs` for one to arrive.
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
      await this.leaseWaiters.wait(taskSet, remaining);
    }
  }

  /** Extends a lease and records progress; tells the runner whether the job was cancelled. */
  heartbeat(
    id: string,
    leaseId: string,
    progress: JobProgress | null,
    leaseTtlMs: number,
    now: number,
  ): LeaseCheck<{ cancel: boolean; lease_expires_at: number }> {
    const job = this.leased(id, leaseId, now);
    if ('kind' in job) return job;
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
      this.jobs.transition(id, now, 'lease_expires_at = ?, progress = ?, previews = ?', [
        expiresAt,
        JSON.stringify(shown),
        JSON.stringify(known),
      ]);
    } else {
      this.jobs.extendLease(id, expiresAt, now);
    }
    this.alarm.arm(now);
    return { kind: 'ok', cancel: false, lease_expires_at: expiresAt };
  }

  /** Records success. A repeated completion by the same lease is acknowledged as a duplicate and changes nothing. */
  complete(
    id: string,
    leaseId: string,
    result: { images: ResultImage[]; timings_ms?: Record<string, number> },
    now: number,
  ): LeaseCheck<{ duplicate: boolean }> | { kind: 'invalid'; message: string } {
    const job = this.leased(id, leaseId, now);
    if ('kind' in job) return job;
    if (job.status === 'succeeded') return { kind: 'ok', duplicate: true };
    if (job.status !== 'running') return { kind: 'conflict', status: job.status };
    if (result.images.length !== job.params.n) {
      return { kind: 'invalid', message: `expected ${job.params.n} images, got ${result.images.length}` };
    }
    const outside = result.images.find((image) => !image.key.startsWith(job.output_prefix) || image.key.includes('..'));
    if (outside) return { kind: 'invalid', message: `image key ${outside.key} is outside ${job.output_prefix}` };
    this.jobs.transition(id, now, "status = 'succeeded', result = ?, completed_at = ?, progress = NULL", [
      JSON.stringify(result),
      now,
    ]);
    return { kind: 'ok', duplicate: false };
  }

  /** Records a failure: retryable failures requeue the job until its attempts are used up; others fail it. */
  fail(
    id: string,
    leaseId: string,
    error: { code: string; message: string },
    retryable: boolean,
    now: number,
  ): LeaseCheck<{ status: string }> {
    const job = this.leased(id, leaseId, now);
    if ('kind' in job) return job;
    if (job.status === 'cancelled' || job.status === 'failed') return { kind: 'ok', status: job.status };
    if (job.status !== 'running') return { kind: 'conflict', status: job.status };
    if (retryable && job.attempts < job.max_attempts) {
      this.requeue(job, now, { refundAttempt: false });
      return { kind: 'ok', status: 'queued' };
    }
    const finalError = retryable
      ? {
          code: 'attempts_exhausted',
          message: `Failed after ${job.attempts} attempts; last error: ${error.code}: ${error.message}`,
        }
      : error;
    this.jobs.transition(id, now, "status = 'failed', error = ?, completed_at = ?", [JSON.stringify(finalError), now]);
    return { kind: 'ok', status: 'failed' };
  }

  /** Returns a leased job to the queue without spending an attempt (runner shutting down). */
  release(id: string, leaseId: string, now: number): LeaseCheck<{ status: string }> {
    const job = this.leased(id, leaseId, now);
    if ('kind' in job) return job;
    if (job.status !== 'running') return { kind: 'ok', status: job.status };
    this.requeue(job, now, { refundAttempt: true });
    return { kind: 'ok', status: 'queued' };
  }

  /**
   * Returns expired leases to the queue, or fails the job when its attempts are used up. Runs before every runner
   * call and from the alarm, so expiry does not depend on runners polling. Returns how many leases expired.
   */
  expireLeases(now: number): number {
    const expired = this.jobs.expiredLeases(now);
    for (const job of expired) {
      if (job.attempts >= job.max_attempts) {
        const error = {
          code: 'attempts_exhausted',
          message: `The job's lease expired on all ${job.attempts} attempts.`,
        };
        this.jobs.transition(job.id, now, "status = 'failed', error = ?, completed_at = ?", [
          JSON.stringify(error),
          now,
        ]);
      } else {
        this.requeue(job, now, { refundAttempt: false });
      }
    }
    return expired.length;
  }

  /**
   * The job a runner call is about, after expiring overdue leases: the job when `leaseId` is (or was last) its
   * lease, else why not. The caller then decides by the job's status.
   */
  private leased(id: string, leaseId: string, now: number): JobRecord | LeaseRefusal {
    this.expireLeases(now);
    const job = this.jobs.get(id);
    if (!job) return { kind: 'not_found' };
    if (job.lease_id !== leaseId) return { kind: 'conflict', status: job.status };
    return job;
  }

  private tryLease(
    runnerId: string,
    tasks: ReadonlySet<Task> | null,
    leaseTtlMs: number,
    now: number,
  ): LeaseGrant | null {
    const candidate = this.jobs.oldestQueued(tasks);
    if (!candidate) return null;
    const leaseId = `lease_${randomToken(20)}`;
    const expiresAt = now + leaseTtlMs;
    const job = this.jobs.transition(
      candidate,
      now,
      "status = 'running', attempts = attempts + 1, lease_id = ?, lease_expires_at = ?, runner_id = ?, started_at = COALESCE(started_at, ?), progress = NULL",
      [leaseId, expiresAt, runnerId, now],
    );
    this.places.recordLease(now);
    this.watchers.queueMoved();
    this.alarm.arm(now);
    return { job, lease: { id: leaseId, expires_at: expiresAt } };
  }

  /** Puts a running job back in the queue (optionally giving back the attempt it used) and wakes one runner for it. */
  private requeue(job: JobRecord, now: number, { refundAttempt }: { refundAttempt: boolean }): void {
    const assignments = refundAttempt ? `${REQUEUE}, attempts = MAX(attempts - 1, 0)` : REQUEUE;
    this.jobs.transition(job.id, now, assignments, []);
    this.watchers.queueMoved();
    this.leaseWaiters.wakeOne(job.task);
  }
}

import { type EdgeApi, LeaseLostError } from './edge-client.js';
import type { HeldJob, JobOutcome } from './held-job.js';
import { classifyFailure, type JobFailure } from './job-failure.js';
import type { Logger } from './logger.js';
import type { ResultImage } from './protocol.js';
import type { RunnerMetrics } from './runner-metrics.js';

/** How a job ends, as the worker hands it to {@link JobSettlement.settle}. */
export type JobEnd =
  | { kind: 'succeeded'; images: ResultImage[]; timings: Record<string, number> }
  | { kind: 'failed'; failure: JobFailure }
  | { kind: 'stopped' };

/**
 * The one way a held job ends: its end is reported to the edge and counted once, whichever path gets there first (a
 * failed upload and a shutdown, say), because {@link HeldJob.settle} grants the report to one caller only.
 */
export class JobSettlement {
  constructor(
    private readonly edge: EdgeApi,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    /** Called once per job, when its end is claimed (the worker stops counting it as held). */
    private readonly onSettled: (held: HeldJob) => void,
  ) {}

  /**
   * Reports a job's end to the edge, once. A job that was stopped reports why it stopped whatever `end` says:
   * cancelled -> `fail` with `cancelled`, released -> `release`, lost -> nothing (the edge already gave it to someone
   * else).
   */
  async settle(held: HeldJob, end: JobEnd): Promise<void> {
    const was = held.settle();
    if (was === null) return;
    // Let a heartbeat in flight finish, so the job's end reaches the edge after it instead of racing it.
    await held.beating;
    this.onSettled(held);
    const { job, lease } = held;
    let outcome: JobOutcome;
    if (was === 'cancelled') {
      outcome = 'cancelled';
      await this.edge
        .fail(job.id, lease.id, { code: 'cancelled', message: 'Cancelled by the client.' }, false)
        .catch(() => undefined);
    } else if (was === 'lost') {
      outcome = 'lost';
      this.log.warn('lease lost; dropped the job', { job: job.id });
    } else if (was === 'released') {
      outcome = 'released';
      try {
        await this.edge.release(job.id, lease.id);
        this.log.info('released job', { job: job.id });
      } catch (err) {
        // If the release is lost, the lease simply expires and the job is retried (costing one attempt).
        this.log.warn('could not release a job; its lease will expire', { job: job.id, error: String(err) });
      }
    } else if (end.kind === 'succeeded') {
      outcome = await this.complete(held, end);
    } else {
      const failure = end.kind === 'failed' ? end.failure : classifyFailure(new Error('stopped while running'));
      outcome = 'failed';
      await this.reportFailure(held, failure);
    }
    this.metrics.jobs.inc({ task: job.task, outcome });
    this.metrics.jobTime.observe((Date.now() - held.leasedAt) / 1000, { task: job.task, outcome });
  }

  private async complete(
    held: HeldJob,
    end: Extract<JobEnd, { kind: 'succeeded' }>,
  ): Promise<Extract<JobOutcome, 'succeeded' | 'failed' | 'lost'>> {
    try {
      await this.edge.complete(held.job.id, held.lease.id, end.images, end.timings);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.log.warn('lease lost before completion; dropped the job', { job: held.job.id });
        return 'lost';
      }
      await this.reportFailure(held, classifyFailure(err));
      return 'failed';
    }
    this.metrics.images.inc({ task: held.job.task }, end.images.length);
    this.log.info('job succeeded', { job: held.job.id, images: end.images.length, ...end.timings });
    return 'succeeded';
  }

  /** Reports a failure; retryable ones go back to the queue until the edge's attempt limit. */
  private async reportFailure(held: HeldJob, { error, retryable }: JobFailure): Promise<void> {
    this.metrics.errors.inc({ code: error.code });
    this.log.warn('job failed', { job: held.job.id, code: error.code, retryable, error: error.message });
    try {
      await this.edge.fail(held.job.id, held.lease.id, error, retryable);
    } catch (reportErr) {
      // The lease will expire and the edge requeues or fails the job: still visible, never a silent success.
      this.log.error('could not report a failure', { job: held.job.id, error: String(reportErr) });
    }
  }
}

import { mapRequestImages, type RunnerJob, runnerJobSchema } from '@kandinsky/protocol';
import type { EdgeApi, LeasedJson } from './edge-client.js';
import { HeldJob } from './held-job.js';
import type { ImageGenerator, PreparedJob } from './image-generator.js';
import { classifyFailure, JobRefusedError } from './job-failure.js';
import type { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import type { Task } from './protocol.js';
import type { RunnerMetrics } from './runner-metrics.js';
import type { StoreApi } from './store-api.js';

/** A held job whose request is checked and prepared, waiting to run. */
export interface ReadyJob {
  held: HeldJob;
  prepared: PreparedJob;
  timings: Record<string, number>;
}

/**
 * Brings jobs in: leases (long-polls) them, checks each against the request contract, reads its inputs from the
 * bucket and has the generator prepare it. Everything that can be wrong with a request itself is found here, before
 * the job joins a batch, so such a job is failed on its own and never takes its would-be batch-mates down with it.
 */
export class JobIntake {
  constructor(
    private readonly edge: EdgeApi,
    private readonly store: StoreApi,
    private readonly generator: ImageGenerator,
    private readonly settlement: JobSettlement,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    /** Called with every job leased, before it is prepared (the worker holds it from here until it settles). */
    private readonly onLeased: (held: HeldJob) => void,
    /** True once the worker is stopping: a job leased then is handed straight back. */
    private readonly stopping: () => boolean,
  ) {}

  /**
   * A batch to run: one job (waiting up to `waitMs` for it), then more jobs of its batch key, taken without waiting,
   * up to `maxBatch`. A job of another key is handed back at once (no attempt used) and ends the search, so the same
   * job is not leased and released over and over. Null when no job came or the first one failed to prepare.
   */
  async gather(waitMs: number, tasks: Task[], maxBatch: number): Promise<ReadyJob[] | null> {
    const first = await this.leaseReady(waitMs, tasks);
    if (!first) return null;
    const batch = [first];
    const key = first.prepared.batchKey;
    while (key !== null && batch.length < maxBatch && !this.stopping()) {
      const next = await this.leaseReady(0, [first.held.job.task]);
      if (!next) break;
      if (next.prepared.batchKey !== key) {
        next.held.stop('released');
        await this.settlement.settle(next.held, { kind: 'stopped' });
        break;
      }
      batch.push(next);
    }
    return batch;
  }

  /**
   * Leases one job and makes it ready. A job that fails any check is settled as failed and null is returned, as when
   * no job came.
   */
  private async leaseReady(waitMs: number, tasks: Task[]): Promise<ReadyJob | null> {
    const waitStart = Date.now();
    let leased: LeasedJson | null;
    try {
      leased = await this.edge.lease(waitMs, tasks);
    } catch (err) {
      if (this.stopping()) return null;
      this.metrics.errors.inc({ code: 'lease_failed' });
      this.log.warn('lease request failed; retrying', { error: String(err) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return null;
    }
    if (!leased) return null;
    if (waitMs > 0) this.metrics.leaseWait.observe((Date.now() - waitStart) / 1000);
    const parsed = runnerJobSchema.safeParse(leased.job);
    // A job that breaks the contract is still held (and failed below) under what it claims to be.
    const job = parsed.success ? parsed.data : (leased.job as RunnerJob);
    const held = new HeldJob(job, leased.lease);
    this.onLeased(held);
    if (typeof job.created_at === 'number') {
      this.metrics.queueWait.observe(Math.max(0, Date.now() - job.created_at) / 1000);
    }
    this.log.info('leased job', { job: job.id, task: job.task, attempt: job.attempt, lease: leased.lease.id });
    if (this.stopping()) {
      held.stop('released');
      await this.settlement.settle(held, { kind: 'stopped' });
      return null;
    }
    const t0 = Date.now();
    try {
      if (!parsed.success) {
        const [issue] = parsed.error.issues;
        throw new JobRefusedError(
          'invalid_request',
          `the job breaks the request contract at ${issue.path.join('.') || 'job'}: ${issue.message}`,
        );
      }
      const request = await mapRequestImages(job, (key) => this.store.get(key));
      const prepared = await this.generator.prepare(request);
      return { held, prepared, timings: { inputs_ms: Date.now() - t0 } };
    } catch (err) {
      await this.settlement.settle(held, { kind: 'failed', failure: classifyFailure(err) });
      return null;
    }
  }
}

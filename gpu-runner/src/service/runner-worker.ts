import { GenerationCancelledError } from '../pipelines/pipeline-errors.js';
import type { EdgeApi } from './edge-client.js';
import { Heartbeats } from './heartbeats.js';
import type { HeldJob } from './held-job.js';
import type { GeneratedBatch, ImageGenerator } from './image-generator.js';
import { classifyFailure } from './job-failure.js';
import { JobIntake, type ReadyJob } from './job-intake.js';
import { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import { PreviewPublisher } from './preview-publisher.js';
import type { ResultImage, Task } from './protocol.js';
import { uploadResultImage } from './result-upload.js';
import type { RunnerMetrics } from './runner-metrics.js';
import type { StoreApi } from './store-api.js';

export interface WorkerOptions {
  runnerId: string;
  tasks: Task[];
  maxBatch: number;
  leaseWaitMs: number;
  heartbeatIntervalMs: number;
  progressIntervalMs: number;
}

/** The generator's stage timings, as reported in `result.timings_ms` (see RUNNER_TIMING_KEYS). */
const STAGE_TIMINGS = {
  encode: 'encode_ms',
  prior: 'prior_ms',
  decoder: 'decoder_ms',
  movq: 'movq_ms',
  preview: 'preview_ms',
};

/**
 * The runner's job loop: gather a batch ({@link JobIntake}: a job that fails its checks is failed there, before it
 * joins a batch), generate, upload each image, report. Held jobs are kept alive by {@link Heartbeats} and end through
 * {@link JobSettlement}, exactly once. If a batch of several fails, each job runs again alone, so a job whose run
 * breaks fails by itself and its batch-mates still get their images. One batch runs at a time (one device). `stop()`
 * stops leasing, lets the running batch finish within a grace time, then releases what is left so another runner
 * picks it up without spending an attempt.
 */
export class RunnerWorker {
  private stopping = false;
  private readonly held = new Set<HeldJob>();
  private current?: { jobs: HeldJob[]; abort: AbortController };
  private heartbeatTimer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private readonly heartbeats: Heartbeats;
  private readonly settlement: JobSettlement;
  private readonly intake: JobIntake;
  private readonly previews: PreviewPublisher;

  constructor(
    edge: EdgeApi,
    private readonly store: StoreApi,
    private readonly generator: ImageGenerator,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {
    this.heartbeats = new Heartbeats(edge, metrics, log, (held) => this.abortIfNoneRunning(held));
    this.settlement = new JobSettlement(edge, metrics, log, (held) => this.held.delete(held));
    this.intake = new JobIntake(
      edge,
      store,
      generator,
      this.settlement,
      metrics,
      log,
      (held) => this.held.add(held),
      () => this.stopping,
    );
    this.previews = new PreviewPublisher(store, metrics, log, (held) => this.heartbeats.beat(held));
  }

  /** True while a job is held. */
  get busy(): boolean {
    return this.held.size > 0;
  }

  /** Starts the loop; the promise settles when the loop ends after {@link stop}. */
  start(): Promise<void> {
    this.heartbeatTimer ??= setInterval(() => {
      for (const held of this.held) void this.heartbeats.beat(held);
    }, this.opts.heartbeatIntervalMs);
    this.loop ??= this.runLoop().finally(() => clearInterval(this.heartbeatTimer));
    return this.loop;
  }

  /**
   * Stops leasing. A running batch gets `graceMs` to finish; then its jobs are released (returned to the queue
   * without using an attempt) and generation is aborted. Resolves when nothing is held any more.
   */
  async stop(graceMs: number): Promise<void> {
    // The long poll in flight is not aborted: the edge may already have granted a lease, and an aborted answer would
    // leak it until it expires (using an attempt). The poll ends within LEASE_WAIT_MS and what it brings is released.
    this.stopping = true;
    const loop = this.loop ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([loop.then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const held = [...this.held].filter((job) => job.stop('released'));
      this.log.warn('shutdown grace over: releasing held jobs', { jobs: held.map((job) => job.job.id) });
      this.current?.abort.abort();
      await Promise.all(held.map((job) => this.settlement.settle(job, { kind: 'stopped' })));
      await loop;
    }
  }

  private async runLoop(): Promise<void> {
    const tasks = this.opts.tasks.filter((task) => this.generator.tasks.includes(task));
    while (!this.stopping) {
      try {
        const batch = await this.intake.gather(this.opts.leaseWaitMs, tasks, this.opts.maxBatch);
        if (batch) await this.runBatch(batch);
      } catch (err) {
        // Each job is settled where it fails; reaching here is a bug, but the loop must survive it.
        this.metrics.errors.inc({ code: 'worker_bug' });
        this.log.error('worker loop error', { error: String((err as Error)?.stack ?? err) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private async runBatch(batch: ReadyJob[]): Promise<void> {
    const abort = new AbortController();
    const jobs = batch.map((ready) => ready.held);
    this.current = { jobs, abort };
    this.metrics.busy.set({}, 1);
    this.metrics.batchSize.observe(batch.length);
    const t0 = Date.now();
    let generated: GeneratedBatch;
    try {
      generated = await this.generator.generate(
        batch.map((ready) => ready.prepared),
        {
          signal: abort.signal,
          onProgress: this.heartbeats.progressReporter(jobs, this.opts.progressIntervalMs),
          onPreview: (preview) => this.previews.publish(batch[preview.request].held, preview),
        },
      );
    } catch (err) {
      this.current = undefined;
      this.metrics.busy.set({}, 0);
      const running = batch.filter((ready) => ready.held.running);
      if (batch.length > 1 && running.length > 0 && !(err instanceof GenerationCancelledError)) {
        // Whatever broke the shared pass, rerun each job alone: a job that breaks again fails by itself.
        this.metrics.errors.inc({ code: 'batch_split' });
        this.log.warn('batch failed; running its jobs one by one', {
          jobs: running.map((ready) => ready.held.job.id),
          error: String((err as Error)?.message ?? err),
        });
        for (const ready of batch.filter((r) => !r.held.running)) {
          await this.settlement.settle(ready.held, { kind: 'stopped' });
        }
        for (const ready of running) await this.runBatch([ready]);
        return;
      }
      const failure = classifyFailure(err);
      for (const ready of batch) {
        await this.settlement.settle(
          ready.held,
          ready.held.running ? { kind: 'failed', failure } : { kind: 'stopped' },
        );
      }
      return;
    }
    this.current = undefined;
    this.metrics.busy.set({}, 0);
    const timings: Record<string, number> = { generate_ms: Date.now() - t0 };
    for (const [stage, key] of Object.entries(STAGE_TIMINGS)) {
      const ms = generated.timingsMs[stage];
      if (ms !== undefined) timings[key] = Math.round(ms);
    }
    for (const [i, ready] of batch.entries()) {
      await this.finish(ready, generated.images[i], { ...ready.timings, ...timings });
    }
  }

  /** Uploads a job's images under its output prefix and completes it. */
  private async finish(
    ready: ReadyJob,
    images: GeneratedBatch['images'][number] | undefined,
    timings: Record<string, number>,
  ) {
    const { held } = ready;
    const { job } = held;
    if (!held.running) return this.settlement.settle(held, { kind: 'stopped' });
    try {
      if (!images || images.length !== job.params.n) {
        throw new Error(`the generator returned ${images?.length ?? 0} images for n=${job.params.n}`);
      }
      // Previews first, so the heartbeat below reports every one of them before the job completes.
      await this.previews.drain(held);
      // Check the lease before writing: a job re-leased elsewhere must not get a second set of objects.
      await this.heartbeats.beat(held);
      if (!held.running) return this.settlement.settle(held, { kind: 'stopped' });
      const t0 = Date.now();
      const results: ResultImage[] = [];
      for (const [i, image] of images.entries()) {
        results.push(await uploadResultImage(this.store, job, i, image, this.opts.runnerId));
      }
      timings.upload_ms = Date.now() - t0;
      timings.total_ms = Date.now() - held.leasedAt;
      await this.settlement.settle(held, { kind: 'succeeded', images: results, timings });
    } catch (err) {
      await this.settlement.settle(held, { kind: 'failed', failure: classifyFailure(err) });
    }
  }

  /** Aborts the running batch once a beat leaves none of its jobs running (all cancelled or lost). */
  private abortIfNoneRunning(held: HeldJob): void {
    const run = this.current;
    if (run?.jobs.includes(held) && run.jobs.every((job) => !job.running)) run.abort.abort();
  }
}

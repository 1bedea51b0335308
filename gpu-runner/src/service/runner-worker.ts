import { imageSeed, mapRequestImages, type RunnerJob, runnerJobSchema } from '@kandinsky/protocol';
import type { GeneratedImage } from '../pipelines/generated-images.js';
import { GenerationCancelledError } from '../pipelines/pipeline-errors.js';
import type { ProgressEvent } from '../pipelines/progress.js';
import { type EdgeApi, type LeasedJson, LeaseLostError } from './edge-client.js';
import { generationMetadata } from './generation-metadata.js';
import { HeldJob, type JobOutcome } from './held-job.js';
import type { GeneratedBatch, ImageGenerator, PreparedJob } from './image-generator.js';
import { classifyFailure, type JobFailure, JobRefusedError } from './job-failure.js';
import type { Logger } from './logger.js';
import { PreviewPublisher } from './preview-publisher.js';
import type { ResultImage, Task } from './protocol.js';
import type { RunnerMetrics } from './runner-metrics.js';

/** The storage calls the worker makes (the real one is `ObjectStore`). */
export interface StoreApi {
  put(
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void>;
  get(key: string, signal?: AbortSignal): Promise<Uint8Array>;
}

export interface WorkerOptions {
  runnerId: string;
  tasks: Task[];
  maxBatch: number;
  leaseWaitMs: number;
  heartbeatIntervalMs: number;
  progressIntervalMs: number;
}

const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const EXTENSIONS = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;
/** The generator's stage timings, as reported in `result.timings_ms` (see RUNNER_TIMING_KEYS). */
const STAGE_TIMINGS = {
  encode: 'encode_ms',
  prior: 'prior_ms',
  decoder: 'decoder_ms',
  movq: 'movq_ms',
  preview: 'preview_ms',
};

/** A held job whose request is checked and prepared, waiting to run. */
interface ReadyJob {
  held: HeldJob;
  prepared: PreparedJob;
  timings: Record<string, number>;
}

/** How a job ends, as {@link RunnerWorker.settle} reports it. */
type JobEnd =
  | { kind: 'succeeded'; images: ResultImage[]; timings: Record<string, number> }
  | { kind: 'failed'; failure: JobFailure }
  | { kind: 'stopped' };

/**
 * The runner's job loop: lease (long-poll) one job, check it against the request contract, read and decode its
 * inputs (a job that fails here fails alone, before it joins a batch), then take more jobs of the same batch key up
 * to `maxBatch` (only text2image shares a pass), generate, upload each image, report. Every held job is kept alive by
 * heartbeats that carry throttled progress and bring back cancellations. If a batch of several fails, each job runs
 * again alone, so one bad job never fails its batch-mates. Each job ends exactly once ({@link HeldJob}). One batch runs
 * at a time (one device). `stop()` stops leasing, lets the running batch finish within a grace time, then releases
 * what is left so another runner picks it up without spending an attempt.
 */
export class RunnerWorker {
  private stopping = false;
  private readonly held = new Set<HeldJob>();
  private current?: { jobs: HeldJob[]; abort: AbortController };
  private heartbeats?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private readonly previews: PreviewPublisher;

  constructor(
    private readonly edge: EdgeApi,
    private readonly store: StoreApi,
    private readonly generator: ImageGenerator,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {
    this.previews = new PreviewPublisher(store, metrics, log, (held) => this.beat(held));
  }

  /** True while a job is held. */
  get busy(): boolean {
    return this.held.size > 0;
  }

  /** Starts the loop; the promise settles when the loop ends after {@link stop}. */
  start(): Promise<void> {
    this.heartbeats ??= setInterval(() => {
      for (const held of this.held) void this.beat(held);
    }, this.opts.heartbeatIntervalMs);
    this.loop ??= this.runLoop().finally(() => clearInterval(this.heartbeats));
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
      await Promise.all(held.map((job) => this.settle(job, { kind: 'stopped' })));
      await loop;
    }
  }

  private async runLoop(): Promise<void> {
    const tasks = this.opts.tasks.filter((task) => this.generator.tasks.includes(task));
    while (!this.stopping) {
      try {
        const first = await this.leaseReady(this.opts.leaseWaitMs, tasks);
        if (!first) continue;
        const batch = [first];
        const key = first.prepared.batchKey;
        while (key !== null && batch.length < this.opts.maxBatch && !this.stopping) {
          const next = await this.leaseReady(0, [first.held.job.task]);
          if (!next) break;
          if (next.prepared.batchKey !== key) {
            // It cannot share this pass: hand it straight back (no attempt used) and stop looking, so the same job is
            // not leased and released over and over.
            next.held.stop('released');
            await this.settle(next.held, { kind: 'stopped' });
            break;
          }
          batch.push(next);
        }
        await this.runBatch(batch);
      } catch (err) {
        // Each job is settled where it fails; reaching here is a bug, but the loop must survive it.
        this.metrics.errors.inc({ code: 'worker_bug' });
        this.log.error('worker loop error', { error: String((err as Error)?.stack ?? err) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /**
   * Leases one job and makes it ready: checks it against the contract, reads its inputs, has the generator prepare
   * it. A job that fails any of this is settled (alone) and null is returned, as when no job came.
   */
  private async leaseReady(waitMs: number, tasks: Task[]): Promise<ReadyJob | null> {
    const waitStart = Date.now();
    let leased: LeasedJson | null;
    try {
      leased = await this.edge.lease(waitMs, tasks);
    } catch (err) {
      if (this.stopping) return null;
      this.metrics.errors.inc({ code: 'lease_failed' });
      this.log.warn('lease request failed; retrying', { error: String(err) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return null;
    }
    if (!leased) return null;
    if (waitMs > 0) this.metrics.leaseWait.observe((Date.now() - waitStart) / 1000);
    const parsed = runnerJobSchema.safeParse(leased.job);
    const job = parsed.success ? parsed.data : (leased.job as RunnerJob);
    const held = new HeldJob(job, leased.lease);
    this.held.add(held);
    if (typeof job.created_at === 'number') {
      this.metrics.queueWait.observe(Math.max(0, Date.now() - job.created_at) / 1000);
    }
    this.log.info('leased job', { job: job.id, task: job.task, attempt: job.attempt, lease: leased.lease.id });
    if (this.stopping) {
      held.stop('released');
      await this.settle(held, { kind: 'stopped' });
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
      await this.settle(held, { kind: 'failed', failure: classifyFailure(err) });
      return null;
    }
  }

  private async runBatch(batch: ReadyJob[]): Promise<void> {
    const abort = new AbortController();
    this.current = { jobs: batch.map((ready) => ready.held), abort };
    this.metrics.busy.set({}, 1);
    this.metrics.batchSize.observe(batch.length);
    const t0 = Date.now();
    let generated: GeneratedBatch;
    try {
      generated = await this.generator.generate(
        batch.map((ready) => ready.prepared),
        {
          signal: abort.signal,
          onProgress: this.progressReporter(batch.map((ready) => ready.held)),
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
        for (const ready of batch.filter((r) => !r.held.running)) await this.settle(ready.held, { kind: 'stopped' });
        for (const ready of running) await this.runBatch([ready]);
        return;
      }
      const failure = classifyFailure(err);
      for (const ready of batch) {
        await this.settle(ready.held, ready.held.running ? { kind: 'failed', failure } : { kind: 'stopped' });
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
  private async finish(ready: ReadyJob, images: GeneratedImage[] | undefined, timings: Record<string, number>) {
    const { held } = ready;
    const { job } = held;
    if (!held.running) return this.settle(held, { kind: 'stopped' });
    try {
      if (!images || images.length !== job.params.n) {
        throw new Error(`the generator returned ${images?.length ?? 0} images for n=${job.params.n}`);
      }
      // Previews first, so the heartbeat below reports every one of them before the job completes.
      await this.previews.drain(held);
      // Check the lease before writing: a job re-leased elsewhere must not get a second set of objects.
      await this.beat(held);
      if (!held.running) return this.settle(held, { kind: 'stopped' });
      const t0 = Date.now();
      const results: ResultImage[] = [];
      for (const [i, image] of images.entries()) {
        results.push(await this.upload(job, i, image));
      }
      timings.upload_ms = Date.now() - t0;
      timings.total_ms = Date.now() - held.leasedAt;
      await this.settle(held, { kind: 'succeeded', images: results, timings });
    } catch (err) {
      await this.settle(held, { kind: 'failed', failure: classifyFailure(err) });
    }
  }

  /** Stores image `index` of a job at `<prefix><index>.<ext>` (a retried job overwrites instead of adding objects). */
  private async upload(job: RunnerJob, index: number, image: GeneratedImage): Promise<ResultImage> {
    const p = job.params;
    // The generator must have made what the job asked for; anything else is a bug, not a result.
    if (image.width !== p.width || image.height !== p.height) {
      throw new Error(`image ${index} is ${image.width}x${image.height}, expected ${p.width}x${p.height}`);
    }
    const contentType = CONTENT_TYPES[p.output_format];
    if (image.contentType !== contentType) {
      throw new Error(`the generator produced ${image.contentType} for output_format ${p.output_format}`);
    }
    if (image.seed !== imageSeed(p.seed, index)) {
      throw new Error(`image ${index} reports seed ${image.seed}, the contract says ${imageSeed(p.seed, index)}`);
    }
    const key = `${job.output.prefix}${index}.${EXTENSIONS[contentType]}`;
    await this.store.put(key, image.bytes, contentType, generationMetadata(job, index, this.opts.runnerId));
    return {
      key,
      width: image.width,
      height: image.height,
      content_type: contentType,
      seed: image.seed,
      bytes: image.bytes.byteLength,
    };
  }

  /**
   * Reports a job's end to the edge, once (the first caller wins; see {@link HeldJob.settle}). A job that was
   * stopped reports why it stopped whatever `end` says: cancelled -> `fail` with `cancelled`, released -> `release`,
   * lost -> nothing (the edge already gave it to someone else).
   */
  private async settle(held: HeldJob, end: JobEnd): Promise<void> {
    const was = held.settle();
    if (was === null) return;
    await held.beating;
    this.held.delete(held);
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
      outcome = await this.report(held, end);
    } else {
      const failure = end.kind === 'failed' ? end.failure : classifyFailure(new Error('stopped while running'));
      outcome = 'failed';
      await this.reportFailure(held, failure);
    }
    this.metrics.jobs.inc({ task: job.task, outcome });
    this.metrics.jobTime.observe((Date.now() - held.leasedAt) / 1000, { task: job.task, outcome });
  }

  private async report(
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

  /** The progress callback of a run: records step times, and pushes progress at most every `progressIntervalMs`. */
  private progressReporter(jobs: HeldJob[]): (event: ProgressEvent) => void {
    let lastSent = 0;
    let last: { stage: string; step: number; at: number } | undefined;
    return ({ stage, step, totalSteps }) => {
      const now = Date.now();
      if (last && last.stage === stage && step === last.step + 1) {
        this.metrics.stepTime.observe((now - last.at) / 1000, { stage });
      }
      last = { stage, step, at: now };
      for (const held of jobs) held.progress = { stage, step, total_steps: totalSteps };
      // The final step is always sent so clients see 100% before the result arrives.
      if (now - lastSent >= this.opts.progressIntervalMs || step === totalSteps) {
        lastSent = now;
        for (const held of jobs) void this.beat(held);
      }
    };
  }

  /** Extends a lease (carrying progress); a cancel or a lost lease stops the job, and its run once none is left. */
  private beat(held: HeldJob): Promise<void> {
    if (!held.running) return Promise.resolve();
    held.beating ??= (async () => {
      try {
        const sent = Date.now();
        const progress =
          held.progress && held.previews.length > 0
            ? { ...held.progress, previews: [...held.previews] }
            : held.progress;
        const answer = await this.edge.heartbeat(held.job.id, held.lease.id, progress);
        this.log.debug('heartbeat', { job: held.job.id, ms: Date.now() - sent, step: held.progress?.step });
        if (answer.cancel && held.stop('cancelled')) this.log.info('job cancelled by the client', { job: held.job.id });
      } catch (err) {
        if (err instanceof LeaseLostError) {
          if (held.stop('lost')) this.log.warn('lease lost', { job: held.job.id, error: err.message });
        } else {
          this.metrics.errors.inc({ code: 'heartbeat_failed' });
          this.log.warn('heartbeat failed; will retry', { job: held.job.id, error: String(err) });
        }
      } finally {
        held.beating = undefined;
      }
      const run = this.current;
      if (run?.jobs.includes(held) && run.jobs.every((job) => !job.running)) run.abort.abort();
    })();
    return held.beating;
  }
}

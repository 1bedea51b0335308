import { type EdgeApi, LeaseLostError } from './edge-client.js';
import { generationMetadata } from './generation-metadata.js';
import {
  batchKey,
  type GeneratedImage,
  type GenerationParams,
  type GenerationRequest,
  type ImageGenerator,
  InvalidRequestError,
} from './image-generator.js';
import type { Logger } from './logger.js';
import { MissingObjectError, StorageError } from './object-store.js';
import type { JobError, Lease, Progress, ResultImage, RunnerJob, Task } from './protocol.js';
import type { RunnerMetrics } from './runner-metrics.js';

/** The storage calls the worker makes (the real one is {@link ObjectStore}). */
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

/** What happened to a held job. Only `running` jobs are uploaded and completed. */
type JobState = 'running' | 'cancelled' | 'lost' | 'released' | 'done';

interface ActiveJob {
  job: RunnerJob;
  lease: Lease;
  state: JobState;
  leasedAt: number;
  progress?: Progress;
  /** One heartbeat in flight at a time per job. */
  beating?: Promise<void>;
}

const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const EXTENSIONS = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;

/** The generator must have encoded what the job asked for; anything else is a bug, not a result. */
function checkContentType(contentType: string, format: string): ResultImage['content_type'] {
  const wanted = CONTENT_TYPES[format as keyof typeof CONTENT_TYPES];
  if (!wanted) throw new InvalidRequestError(`output_format "${format}" is not supported`, 'unsupported_output_format');
  if (contentType !== wanted) throw new Error(`the generator produced ${contentType} for output_format ${format}`);
  return wanted;
}

/** Failures that say something about the request, not the runner: retrying elsewhere cannot help. */
function classify(err: unknown): { error: JobError; retryable: boolean } {
  if (err instanceof InvalidRequestError) return { error: { code: err.code, message: err.message }, retryable: false };
  if (err instanceof MissingObjectError)
    return { error: { code: 'invalid_input', message: err.message }, retryable: false };
  if (err instanceof StorageError) return { error: { code: 'storage_error', message: err.message }, retryable: true };
  const e = err as Error;
  return {
    error: { code: 'runner_error', message: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` },
    retryable: true,
  };
}

/**
 * The runner's job loop: lease (long-poll), gather equal-shaped jobs into one batch, keep every lease alive with
 * heartbeats that also carry throttled progress and bring back cancellations, generate, upload each image, report.
 * One batch runs at a time (one device). `stop()` stops leasing, lets the running batch finish within a grace time,
 * then releases what is left so another runner picks it up without spending an attempt.
 */
export class RunnerWorker {
  private stopping = false;
  private batchAbort?: AbortController;
  private active: ActiveJob[] = [];
  private loop?: Promise<void>;

  constructor(
    private readonly edge: EdgeApi,
    private readonly store: StoreApi,
    private readonly generator: ImageGenerator,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  /** True while a batch is being worked on. */
  get busy(): boolean {
    return this.active.length > 0;
  }

  /** Starts the loop; the promise settles when the loop ends after {@link stop}. */
  start(): Promise<void> {
    this.loop ??= this.runLoop();
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
      const held = this.active.filter((a) => a.state === 'running');
      this.log.warn('shutdown grace over: releasing running jobs', { jobs: held.map((a) => a.job.id) });
      for (const a of held) a.state = 'released';
      this.batchAbort?.abort();
      await Promise.all(held.map((a) => this.releaseJob(a)));
      await loop;
    }
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let batch: ActiveJob[];
      try {
        batch = await this.leaseBatch();
      } catch (err) {
        if (this.stopping) break;
        this.metrics.errors.inc({ code: 'lease_failed' });
        this.log.warn('lease request failed; retrying', { error: String(err) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (batch.length === 0) continue;
      try {
        await this.runBatch(batch);
      } catch (err) {
        // runBatch reports per job; reaching here is a bug, but the loop must survive it.
        this.metrics.errors.inc({ code: 'worker_bug' });
        this.log.error('batch crashed', { error: String((err as Error)?.stack ?? err) });
      } finally {
        this.active = [];
      }
    }
  }

  /** Long-polls for one job, then takes (without waiting) more jobs of the same shape, up to `maxBatch`. */
  private async leaseBatch(): Promise<ActiveJob[]> {
    const waitStart = Date.now();
    const first = await this.edge.lease(this.opts.leaseWaitMs, this.opts.tasks);
    if (!first) return [];
    if (this.stopping) {
      const late = this.track(first.job, first.lease);
      late.state = 'released';
      await this.releaseJob(late);
      return [];
    }
    this.metrics.leaseWait.observe((Date.now() - waitStart) / 1000);
    const batch: ActiveJob[] = [this.track(first.job, first.lease)];
    this.active = batch;
    const key = batchKey(first.job.task, first.job.params);
    while (batch.length < this.opts.maxBatch && !this.stopping) {
      const next = await this.edge.lease(0, [first.job.task]).catch(() => null);
      if (!next) break;
      const extra = this.track(next.job, next.lease);
      if (batchKey(next.job.task, next.job.params) !== key) {
        // A different shape cannot share the pass: hand it straight back (no attempt used) and stop looking, so
        // the same job is not leased and released over and over.
        extra.state = 'released';
        await this.releaseJob(extra);
        break;
      }
      batch.push(extra);
    }
    return batch;
  }

  private track(job: RunnerJob, lease: Lease): ActiveJob {
    const created = job.created_at;
    if (typeof created === 'number') this.metrics.queueWait.observe(Math.max(0, Date.now() - created) / 1000);
    this.log.info('leased job', { job: job.id, task: job.task, attempt: job.attempt, lease: lease.id });
    return { job, lease, state: 'running', leasedAt: Date.now() };
  }

  private async runBatch(batch: ActiveJob[]): Promise<void> {
    const abort = new AbortController();
    this.batchAbort = abort;
    this.metrics.busy.set({}, 1);
    this.metrics.batchSize.observe(batch.length);
    const heartbeat = setInterval(() => {
      for (const a of batch) void this.beat(a, abort);
    }, this.opts.heartbeatIntervalMs);
    const timings: Record<string, number> = {};
    try {
      // Inputs: read and decode each job's images; a job with a bad input fails alone.
      const t0 = Date.now();
      const requests = new Map<ActiveJob, GenerationRequest>();
      for (const a of batch) {
        try {
          requests.set(a, { jobId: a.job.id, task: a.job.task, params: await this.resolveParams(a.job, abort.signal) });
        } catch (err) {
          await this.failJob(a, err);
        }
      }
      timings.inputs_ms = Date.now() - t0;
      const runnable = batch.filter((a) => a.state === 'running' && requests.has(a));
      if (runnable.length === 0) return;

      const t1 = Date.now();
      let images: GeneratedImage[][];
      try {
        images = await this.generator.generate(
          runnable.map((a) => requests.get(a)!),
          { signal: abort.signal, onProgress: this.progressReporter(runnable, abort) },
        );
      } catch (err) {
        for (const a of runnable) {
          if (a.state === 'running') await this.failJob(a, err);
          else await this.settleStopped(a);
        }
        return;
      }
      timings.generate_ms = Date.now() - t1;

      for (const [i, a] of runnable.entries()) {
        if (a.state === 'running') await this.uploadAndComplete(a, images[i], { ...timings }, abort.signal);
        else await this.settleStopped(a);
      }
    } finally {
      clearInterval(heartbeat);
      await Promise.all(batch.map((a) => a.beating));
      this.metrics.busy.set({}, 0);
      this.batchAbort = undefined;
    }
  }

  /** Reads the job's input images from the bucket (the generator decodes them). */
  private async resolveParams(job: RunnerJob, signal: AbortSignal): Promise<GenerationParams> {
    const { image, mask, inputs, ...rest } = job.params;
    const params: GenerationParams = { ...rest };
    if (image) params.image = await this.store.get(image, signal);
    if (mask) params.mask = await this.store.get(mask, signal);
    if (inputs) {
      params.inputs = [];
      for (const input of inputs) {
        params.inputs.push(
          input.type === 'image'
            ? { type: 'image', image: await this.store.get(input.image, signal), weight: input.weight }
            : input,
        );
      }
    }
    return params;
  }

  /** Returns the progress callback: records step times, and pushes progress at most every `progressIntervalMs`. */
  private progressReporter(jobs: ActiveJob[], abort: AbortController): (p: Progress) => void {
    let lastSent = 0;
    let last: { stage: string; step: number; at: number } | undefined;
    return (p) => {
      const now = Date.now();
      if (last && last.stage === p.stage && p.step === last.step + 1)
        this.metrics.stepTime.observe((now - last.at) / 1000, { stage: p.stage });
      last = { stage: p.stage, step: p.step, at: now };
      for (const a of jobs) a.progress = { ...p };
      // The final step is always sent so clients see 100% before the result arrives.
      if (now - lastSent >= this.opts.progressIntervalMs || p.step === p.total_steps) {
        lastSent = now;
        for (const a of jobs) void this.beat(a, abort);
      }
    };
  }

  /** Extends a lease (carrying progress); a cancel or a lost lease stops the job, and the batch once none is left. */
  private beat(a: ActiveJob, abort: AbortController): Promise<void> {
    if (a.state !== 'running') return Promise.resolve();
    if (a.beating) return a.beating;
    a.beating = (async () => {
      try {
        const sent = Date.now();
        const answer = await this.edge.heartbeat(a.job.id, a.lease.id, a.progress);
        this.log.debug('heartbeat', {
          job: a.job.id,
          ms: Date.now() - sent,
          step: a.progress?.step,
          cancel: answer.cancel,
        });
        if (answer.cancel && a.state === 'running') {
          a.state = 'cancelled';
          this.log.info('job cancelled by the client', { job: a.job.id });
        }
      } catch (err) {
        if (err instanceof LeaseLostError) {
          if (a.state === 'running') a.state = 'lost';
          this.log.warn('lease lost; dropping the job', { job: a.job.id, error: err.message });
        } else {
          this.metrics.errors.inc({ code: 'heartbeat_failed' });
          this.log.warn('heartbeat failed; will retry', { job: a.job.id, error: String(err) });
        }
      } finally {
        a.beating = undefined;
      }
      if (this.active.length > 0 && this.active.every((j) => j.state !== 'running')) abort.abort();
    })();
    return a.beating;
  }

  private async uploadAndComplete(
    a: ActiveJob,
    images: GeneratedImage[] | undefined,
    timings: Record<string, number>,
    signal: AbortSignal,
  ): Promise<void> {
    const { job } = a;
    try {
      if (!images || images.length !== job.params.n) {
        throw new Error(`the generator returned ${images?.length ?? 0} images for n=${job.params.n}`);
      }
      // Check the lease before writing: a job re-leased elsewhere must not get a second set of objects.
      await this.beat(a, new AbortController());
      if (a.state !== 'running') return this.settleStopped(a);
      const t0 = Date.now();
      const results: ResultImage[] = [];
      for (const [i, image] of images.entries()) {
        if (image.width !== job.params.width || image.height !== job.params.height) {
          throw new Error(
            `image ${i} is ${image.width}x${image.height}, expected ${job.params.width}x${job.params.height}`,
          );
        }
        const contentType = checkContentType(image.contentType, job.params.output_format);
        // Keys depend only on the job and the index, so a retried job overwrites instead of adding objects.
        const key = `${job.output.prefix}${i}.${EXTENSIONS[contentType]}`;
        await this.store.put(key, image.bytes, contentType, generationMetadata(job, i, this.opts.runnerId), signal);
        results.push({
          key,
          width: image.width,
          height: image.height,
          content_type: contentType,
          seed: (job.params.seed + i) >>> 0,
          bytes: image.bytes.byteLength,
        });
      }
      timings.upload_ms = Date.now() - t0;
      timings.total_ms = Date.now() - a.leasedAt;
      if (a.state !== 'running') return this.settleStopped(a);
      await this.edge.complete(job.id, a.lease.id, results, timings);
      a.state = 'done';
      this.metrics.images.inc({ task: job.task }, results.length);
      this.finished(a, 'succeeded');
      this.log.info('job succeeded', { job: job.id, images: results.length, ...timings });
    } catch (err) {
      if (err instanceof LeaseLostError) {
        a.state = 'lost';
        return this.settleStopped(a);
      }
      if (a.state !== 'running') return this.settleStopped(a);
      await this.failJob(a, err);
    }
  }

  /** Reports a failure; retryable ones go back to the queue until the edge's attempt limit. */
  private async failJob(a: ActiveJob, err: unknown): Promise<void> {
    if (a.state !== 'running') return this.settleStopped(a);
    const { error, retryable } = classify(err);
    a.state = 'done';
    this.metrics.errors.inc({ code: error.code });
    this.log.warn('job failed', { job: a.job.id, code: error.code, retryable, error: error.message });
    try {
      await this.edge.fail(a.job.id, a.lease.id, error, retryable);
    } catch (reportErr) {
      // The lease will expire and the edge requeues or fails the job: still visible, never a silent success.
      this.log.error('could not report a failure', { job: a.job.id, error: String(reportErr) });
    }
    this.finished(a, 'failed');
  }

  /** Final report of a job that stopped without a result. */
  private async settleStopped(a: ActiveJob): Promise<void> {
    if (a.state === 'cancelled') {
      a.state = 'done';
      await this.edge
        .fail(a.job.id, a.lease.id, { code: 'cancelled', message: 'Cancelled by the client.' }, false)
        .catch(() => undefined);
      this.finished(a, 'cancelled');
    } else if (a.state === 'lost') {
      a.state = 'done';
      this.finished(a, 'lost');
    }
    // `released` jobs were handed back by stop(); `done` ones are already reported.
  }

  private async releaseJob(a: ActiveJob): Promise<void> {
    try {
      await this.edge.release(a.job.id, a.lease.id);
      this.log.info('released job', { job: a.job.id });
    } catch (err) {
      // If the release is lost, the lease simply expires and the job is retried (costing one attempt).
      this.log.warn('could not release a job; its lease will expire', { job: a.job.id, error: String(err) });
    }
    this.finished(a, 'released');
  }

  private finished(a: ActiveJob, outcome: string): void {
    this.metrics.jobs.inc({ task: a.job.task, outcome });
    this.metrics.jobTime.observe((Date.now() - a.leasedAt) / 1000, { task: a.job.task, outcome });
  }
}

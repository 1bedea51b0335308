import { createHash, createHmac, randomBytes } from 'node:crypto';
import { pictureFor } from './png';
import type { TestBucket } from './s3';

/** A job as the runner API hands it out (docs/runner-protocol.md, RunnerJob). */
export interface LeasedJob {
  id: string;
  task: string;
  attempt: number;
  params: Record<string, unknown> & {
    n: number;
    seed: number;
    width: number;
    height: number;
    steps: number;
    preview_steps?: number[];
  };
  output: { prefix: string };
}

/** A point in a job where the runner waits until the test lets it go on. */
export interface Gate {
  /** Resolves when the runner has reported the gated step and is waiting. */
  reached: Promise<LeasedJob>;
  release(): void;
}

/**
 * A stand-in GPU runner that speaks the real signed runner protocol: it leases jobs from the edge, reports every
 * step through heartbeats (so the edge's SSE stream carries real progress), stores a preview picture at each of the
 * job's `preview_steps` (reported with the heartbeats, as a real runner does), writes one picture per requested image
 * into the bucket under the job's output prefix and completes the job. Tests can hold it at a step with a gate.
 */
export class FakeRunner {
  /** Every job leased, in order. */
  readonly jobs: LeasedJob[] = [];
  /** The error that stopped the lease loop, if any (the test reports it instead of timing out silently). */
  failure: Error | null = null;
  private stopped = false;
  private nextFailure: { code: string; message: string } | null = null;
  private loop: Promise<void> | null = null;
  private gates = new Map<number, { resolveReached: (job: LeasedJob) => void; released: Promise<void> }>();

  constructor(
    private readonly edgeUrl: string,
    private readonly secret: string,
    private readonly bucket: TestBucket,
    private readonly stepDelayMs = 120,
  ) {}

  /** Starts leasing in the background. */
  start(): void {
    this.loop = this.run().catch((error: Error) => {
      this.failure = error;
    });
  }

  /** Stops after the current long-poll. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Makes the next job fail permanently after its first step, with this error (as a real runner reports one). */
  failNext(error: { code: string; message: string }): void {
    this.nextFailure = error;
  }

  /** Makes the next job that reaches `step` wait there (after reporting it) until released. */
  pauseAt(step: number): Gate {
    let resolveReached!: (job: LeasedJob) => void;
    let release!: () => void;
    const reached = new Promise<LeasedJob>((resolve) => {
      resolveReached = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.gates.set(step, { resolveReached, released });
    return { reached, release };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const response = await this.call('/v1/runner/lease', { wait_ms: 1_000 });
      if (response.status === 204) continue;
      if (response.status !== 200) throw new Error(`lease: ${response.status} ${await response.text()}`);
      const { job, lease } = (await response.json()) as { job: LeasedJob; lease: { id: string } };
      this.jobs.push(job);
      await this.work(job, lease.id);
    }
  }

  private async work(job: LeasedJob, leaseId: string): Promise<void> {
    const total = job.params.steps;
    const previews: number[] = [];
    for (let step = 1; step <= total; step++) {
      if (job.params.preview_steps?.includes(step)) {
        for (let i = 0; i < job.params.n; i++) {
          // A preview looks like the result with another seed: tests can tell them apart.
          const png = pictureFor(job.params.width, job.params.height, job.params.seed + i + 1000 * step);
          await this.bucket.put(`${job.output.prefix}previews/${step}-${i}.png`, png, 'image/png');
        }
        previews.push(step);
      }
      const progress = { stage: 'decoder', step, total_steps: total, ...(previews.length ? { previews } : {}) };
      const beat = await this.call(`/v1/runner/jobs/${job.id}/heartbeat`, { lease_id: leaseId, progress });
      // 409: the lease is gone (cancelled and closed, or expired): the protocol says to drop the job.
      if (beat.status === 409) return;
      if (beat.status !== 200) throw new Error(`heartbeat: ${beat.status} ${await beat.text()}`);
      if (((await beat.json()) as { cancel: boolean }).cancel) return;
      if (this.nextFailure) {
        const error = this.nextFailure;
        this.nextFailure = null;
        const failed = await this.call(`/v1/runner/jobs/${job.id}/fail`, {
          lease_id: leaseId,
          error,
          retryable: false,
        });
        if (failed.status !== 200) throw new Error(`fail: ${failed.status} ${await failed.text()}`);
        return;
      }
      const gate = this.gates.get(step);
      if (gate) {
        this.gates.delete(step);
        gate.resolveReached(job);
        await gate.released;
      }
      await new Promise((resolve) => setTimeout(resolve, this.stepDelayMs));
    }
    const images = [];
    for (let i = 0; i < job.params.n; i++) {
      const seed = job.params.seed + i;
      const png = pictureFor(job.params.width, job.params.height, seed);
      const key = `${job.output.prefix}${i}.png`;
      await this.bucket.put(key, png, 'image/png');
      images.push({
        key,
        width: job.params.width,
        height: job.params.height,
        content_type: 'image/png',
        seed,
        bytes: png.length,
      });
    }
    const done = await this.call(`/v1/runner/jobs/${job.id}/complete`, { lease_id: leaseId, result: { images } });
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
  }

  /**
   * A signed runner request: v2=HMAC-SHA256(secret, "v2" \n timestamp \n nonce \n runner id \n POST \n path \n
   * sha256(body)), with a fresh 128-bit nonce (the edge accepts each signed request once).
   */
  private call(path: string, body: unknown): Promise<Response> {
    const raw = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const runnerId = 'browser-test-runner';
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const signature = createHmac('sha256', this.secret)
      .update(['v2', timestamp, nonce, runnerId, 'POST', path, bodyHash].join('\n'))
      .digest('hex');
    return fetch(`${this.edgeUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-runner-id': runnerId,
        'x-runner-timestamp': timestamp,
        'x-runner-nonce': nonce,
        'x-runner-signature': `v2=${signature}`,
      },
      body: raw,
    });
  }
}

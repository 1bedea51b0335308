import type { JobError, Lease, Progress, ResultImage, Task } from './protocol.js';
import { retryWithBackoff } from './retry.js';
import { runnerNonce, signRunnerRequest } from './runner-signature.js';

/** The edge answered 409: this runner no longer holds the lease (expired and re-leased, cancelled and closed, ...). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The edge answered with an unexpected status. 5xx and 429 are retried; 4xx are bugs or misconfiguration. */
export class EdgeHttpError extends Error {
  override readonly name = 'EdgeHttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  /** True for answers worth retrying (server trouble or throttling). */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * A leased job as the edge sent it (the worker checks `job` against the request contract) and its lease. The client
 * only makes sure there is a job id and a lease id to report back to.
 */
export interface LeasedJson {
  job: { id: string } & Record<string, unknown>;
  lease: Lease;
}

/** What a heartbeat tells the runner. */
export interface HeartbeatAnswer {
  cancel: boolean;
}

/** The runner's side of docs/runner-protocol.md, so the worker can be tested against a fake. */
export interface EdgeApi {
  lease(waitMs: number, tasks: Task[], signal?: AbortSignal): Promise<LeasedJson | null>;
  heartbeat(jobId: string, leaseId: string, progress?: Progress): Promise<HeartbeatAnswer>;
  complete(jobId: string, leaseId: string, images: ResultImage[], timingsMs: Record<string, number>): Promise<void>;
  fail(jobId: string, leaseId: string, error: JobError, retryable: boolean): Promise<void>;
  release(jobId: string, leaseId: string): Promise<void>;
}

export interface EdgeClientOptions {
  baseUrl: string;
  runnerId: string;
  secret: string;
  /** Attempts of a call that failed on the network or with 5xx/429 (lease polls are not retried here). */
  attempts?: number;
  retryBaseMs?: number;
  /** Per-request timeout on top of the long-poll time. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Told about every retried call (logs). */
  onRetry?: (path: string, err: unknown, attempt: number) => void;
}

/**
 * Signed HTTP client of the edge's runner API. Completion, failure and release are retried with backoff on network
 * errors and 5xx: they are idempotent on the edge (a repeated completion by the same lease is a no-op), so a retry
 * can never produce a second set of results.
 */
export class EdgeClient implements EdgeApi {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: EdgeClientOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async lease(waitMs: number, tasks: Task[], signal?: AbortSignal): Promise<LeasedJson | null> {
    const res = await this.post('/v1/runner/lease', { wait_ms: waitMs, tasks }, waitMs, signal);
    if (res.status === 204) return null;
    const body = (await res.json()) as { job?: { id?: unknown }; lease?: { id?: unknown } };
    if (typeof body?.job?.id !== 'string' || typeof body.lease?.id !== 'string') {
      throw new EdgeHttpError('/v1/runner/lease: the answer has no job id or lease id', res.status);
    }
    return body as LeasedJson;
  }

  async heartbeat(jobId: string, leaseId: string, progress?: Progress): Promise<HeartbeatAnswer> {
    const body = progress ? { lease_id: leaseId, progress } : { lease_id: leaseId };
    const path = `/v1/runner/jobs/${encodeURIComponent(jobId)}/heartbeat`;
    const res = await this.retrying(() => this.post(path, body), path);
    const answer = (await res.json()) as { cancel?: unknown };
    return { cancel: answer.cancel === true };
  }

  async complete(
    jobId: string,
    leaseId: string,
    images: ResultImage[],
    timingsMs: Record<string, number>,
  ): Promise<void> {
    const body = { lease_id: leaseId, result: { images, timings_ms: timingsMs } };
    await this.retrying(() => this.post(`/v1/runner/jobs/${encodeURIComponent(jobId)}/complete`, body));
  }

  async fail(jobId: string, leaseId: string, error: JobError, retryable: boolean): Promise<void> {
    const body = { lease_id: leaseId, error: { code: error.code, message: error.message.slice(0, 2000) }, retryable };
    await this.retrying(() => this.post(`/v1/runner/jobs/${encodeURIComponent(jobId)}/fail`, body));
  }

  async release(jobId: string, leaseId: string): Promise<void> {
    await this.retrying(() => this.post(`/v1/runner/jobs/${encodeURIComponent(jobId)}/release`, { lease_id: leaseId }));
  }

  private retrying(call: () => Promise<Response>, path = ''): Promise<Response> {
    return retryWithBackoff(call, {
      onRetry: (err, attempt) => this.opts.onRetry?.(path, err, attempt),
      attempts: this.opts.attempts ?? 5,
      baseMs: this.opts.retryBaseMs ?? 200,
      // A lost lease or a rejected request will not get better by asking again.
      shouldRetry: (err) => !(err instanceof LeaseLostError) && !(err instanceof EdgeHttpError && !err.transient),
    });
  }

  private async post(path: string, body: unknown, extraTimeoutMs = 0, signal?: AbortSignal): Promise<Response> {
    const text = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    // A new nonce (and signature) on every attempt: the edge accepts each signed request once, so a retry must not
    // resend the bytes of an attempt that may have reached it.
    const nonce = runnerNonce();
    const timeout = AbortSignal.timeout((this.opts.timeoutMs ?? 15_000) + extraTimeoutMs);
    const res = await this.fetchImpl(`${this.opts.baseUrl}${path}`, {
      method: 'POST',
      body: text,
      headers: {
        'content-type': 'application/json',
        'x-runner-id': this.opts.runnerId,
        'x-runner-timestamp': timestamp,
        'x-runner-nonce': nonce,
        'x-runner-signature': signRunnerRequest(this.opts.secret, {
          timestamp,
          nonce,
          runnerId: this.opts.runnerId,
          method: 'POST',
          path,
          body: text,
        }),
      },
      signal: signal ? anySignal(signal, timeout) : timeout,
    });
    if (res.status === 409) {
      const detail = await res.text().catch(() => '');
      throw new LeaseLostError(`${path}: the lease is no longer held (${detail.slice(0, 200)})`);
    }
    if (!res.ok) {
      const detail = await res.text().catch(() => '');
      throw new EdgeHttpError(`${path}: edge answered ${res.status} ${detail.slice(0, 300)}`, res.status);
    }
    return res;
  }
}

/** Aborts when either signal does (AbortSignal.any is missing from the Node 20 typings in use). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const both = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true });
  }
  return both.signal;
}

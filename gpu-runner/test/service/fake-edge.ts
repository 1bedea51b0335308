import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobError, Progress, ResultImage, Task } from '../../src/service/protocol.js';
import { signRunnerRequest } from '../../src/service/runner-signature.js';

/**
 * A job as the fake edge hands it out: the shape of a `RunnerJob`, but not checked against the contract, so tests can
 * send a runner jobs the real edge would have refused.
 */
export interface FakeRunnerJob {
  id: string;
  task: string;
  attempt: number;
  params: Record<string, unknown> & { n: number };
  output: { prefix: string };
}

/** A job as the fake edge keeps it. */
export interface FakeJob {
  job: FakeRunnerJob;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
  leaseId: string | null;
  leaseExpiresAt: number;
  progress: Progress[];
  completions: { leaseId: string; images: ResultImage[]; timings: Record<string, number> }[];
  error: (JobError & { retryable: boolean }) | null;
  releases: number;
}

/** One runner call as the fake edge saw it, for assertions on order. */
export interface FakeEdgeCall {
  path: string;
  status: number;
  body: Record<string, unknown>;
}

/**
 * An in-memory implementation of the edge's runner API (docs/runner-protocol.md) over real HTTP, strict about
 * signatures, leases and attempts, so the runner's client and worker are tested against the contract and not against
 * themselves. Test-only: no persistence, one process.
 */
export class FakeEdge {
  readonly jobs = new Map<string, FakeJob>();
  readonly calls: FakeEdgeCall[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly usedNonces = new Set<string>();
  private server?: Server;
  /** Answer every runner call with this status instead (simulates an edge outage); null for normal service. */
  outageStatus: number | null = null;

  constructor(
    readonly secret: string,
    readonly opts: { leaseTtlMs?: number; maxAttempts?: number } = {},
  ) {}

  /** Starts listening on 127.0.0.1 and returns the base URL. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Queues a job and returns its id. */
  enqueue(task: Task, params: Record<string, unknown> = {}, id = `job_${randomUUID().slice(0, 8)}`): string {
    const full = {
      // Every task but fuse takes a prompt (fuse mixes its inputs).
      ...(task === 'fuse' ? {} : { prompt: 'a red cat' }),
      n: 1,
      width: 64,
      height: 64,
      seed: 7,
      steps: 4,
      guidance_scale: 4,
      prior_steps: 2,
      prior_guidance_scale: 4,
      scheduler: 'ddim',
      output_format: 'png',
      ...params,
    };
    this.jobs.set(id, {
      job: { id, task, attempt: 0, params: full, output: { prefix: `results/tenant/${id}/` } },
      status: 'queued',
      attempts: 0,
      leaseId: null,
      leaseExpiresAt: 0,
      progress: [],
      completions: [],
      error: null,
      releases: 0,
    });
    this.wake();
    return id;
  }

  /** Marks a job cancelled, as the public cancel endpoint does. */
  cancel(id: string): void {
    const j = this.jobs.get(id)!;
    j.status = 'cancelled';
    this.wake();
  }

  /** Resolves once `predicate` holds (checked after each call), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('FakeEdge.waitFor timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private expireLeases(now: number): void {
    const maxAttempts = this.opts.maxAttempts ?? 3;
    for (const j of this.jobs.values()) {
      if (j.status === 'running' && j.leaseExpiresAt < now) {
        j.leaseId = null;
        if (j.attempts >= maxAttempts) {
          j.status = 'failed';
          j.error = { code: 'attempts_exhausted', message: 'lease expired on every attempt', retryable: false };
        } else j.status = 'queued';
      }
    }
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    let raw = '';
    req.setEncoding('utf8');
    for await (const chunk of req) raw += chunk as string;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const answer = await this.route(req, path, raw, body);
    this.calls.push({ path, status: answer.status, body });
    return answer;
  }

  private async route(
    req: IncomingMessage,
    path: string,
    raw: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body?: unknown }> {
    if (this.outageStatus !== null) return { status: this.outageStatus, body: { error: 'outage' } };
    const ts = String(req.headers['x-runner-timestamp'] ?? '');
    const nonce = String(req.headers['x-runner-nonce'] ?? '');
    const runnerId = String(req.headers['x-runner-id'] ?? '');
    const expected = signRunnerRequest(this.secret, {
      timestamp: ts,
      nonce,
      runnerId,
      method: req.method ?? '',
      path,
      body: raw,
    });
    const given = String(req.headers['x-runner-signature'] ?? '');
    const ok =
      given.length === expected.length &&
      timingSafeEqual(new TextEncoder().encode(given), new TextEncoder().encode(expected));
    if (!ok || Math.abs(Date.now() / 1000 - Number(ts)) > 300 || !runnerId || !/^[0-9a-f]{32}$/.test(nonce))
      return { status: 401, body: { error: 'bad signature' } };
    // Like the edge: each signed request is usable once.
    if (this.usedNonces.has(nonce)) return { status: 401, body: { error: 'replayed' } };
    this.usedNonces.add(nonce);
    const ttl = this.opts.leaseTtlMs ?? 30_000;
    this.expireLeases(Date.now());
    if (path === '/v1/runner/lease') {
      const tasks = (body.tasks as Task[] | undefined) ?? null;
      const deadline = Date.now() + Number(body.wait_ms ?? 0);
      for (;;) {
        this.expireLeases(Date.now());
        const next = [...this.jobs.values()].find(
          (j) => j.status === 'queued' && (!tasks || tasks.includes(j.job.task as Task)),
        );
        if (next) {
          next.status = 'running';
          next.attempts++;
          next.leaseId = `lease_${randomUUID()}`;
          next.leaseExpiresAt = Date.now() + ttl;
          return {
            status: 200,
            body: {
              job: { ...next.job, attempt: next.attempts },
              lease: { id: next.leaseId, expires_at: next.leaseExpiresAt },
            },
          };
        }
        const left = deadline - Date.now();
        if (left <= 0) return { status: 204 };
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 50));
          this.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
    const m = /^\/v1\/runner\/jobs\/([^/]+)\/(heartbeat|complete|fail|release)$/.exec(path);
    if (!m) return { status: 404 };
    const j = this.jobs.get(decodeURIComponent(m[1]));
    if (!j) return { status: 404 };
    if (j.leaseId !== body.lease_id) return { status: 409, body: { error: 'lease not held' } };
    switch (m[2]) {
      case 'heartbeat':
        if (j.status === 'cancelled')
          return { status: 200, body: { cancel: true, lease_expires_at: j.leaseExpiresAt } };
        j.leaseExpiresAt = Date.now() + ttl;
        if (body.progress) j.progress.push(body.progress as Progress);
        return { status: 200, body: { cancel: false, lease_expires_at: j.leaseExpiresAt } };
      case 'complete': {
        if (j.status === 'succeeded') return { status: 200, body: { status: 'succeeded', duplicate: true } };
        if (j.status !== 'running') return { status: 409 };
        const result = body.result as { images: ResultImage[]; timings_ms: Record<string, number> };
        if (result.images.length !== j.job.params.n) return { status: 400, body: { error: 'wrong image count' } };
        j.completions.push({ leaseId: String(body.lease_id), images: result.images, timings: result.timings_ms });
        j.status = 'succeeded';
        return { status: 200, body: { status: 'succeeded', duplicate: false } };
      }
      case 'fail': {
        if (j.status === 'cancelled' || j.status === 'failed') return { status: 200, body: { status: j.status } };
        const error = body.error as JobError;
        const retryable = body.retryable === true;
        j.error = { ...error, retryable };
        j.leaseId = null;
        j.status = retryable && j.attempts < (this.opts.maxAttempts ?? 3) ? 'queued' : 'failed';
        this.wake();
        return { status: 200, body: { status: j.status } };
      }
      case 'release':
        if (j.status !== 'running') return { status: 200, body: { status: j.status } };
        j.status = 'queued';
        j.attempts = Math.max(0, j.attempts - 1);
        j.leaseId = null;
        j.releases++;
        this.wake();
        return { status: 200, body: { status: 'queued' } };
    }
    return { status: 404 };
  }
}

import {
  completeBodySchema,
  failBodySchema,
  heartbeatBodySchema,
  leaseBodySchema,
  releaseBodySchema,
} from '@kandinsky/protocol';
import { type Context, Hono } from 'hono';
import { readConfig } from '../config';
import type { LeaseGrant, LeaseRefusal } from '../durable/queue/job-lifecycle';
import type { Env } from '../env';
import { ApiError } from '../errors/api-error';
import { jobNotFound, shardForJob, shardStub } from '../jobs/shards';
import type { Task } from '../jobs/types';
import { parseJson } from '../lib/validate';
import { readBody } from '../middleware/read-body';
import { runnerAuth } from '../middleware/runner-auth';
import type { AppEnv } from '../types';

/** How long one blocking wait on a single shard lasts before the lease loop sweeps all shards again. */
const BLOCK_SLICE_MS = 1_000;

/** Runner endpoints (docs/runner-protocol.md): signed requests only. */
export const runnerRoutes = new Hono<AppEnv>();

runnerRoutes.use('*', readBody({ maxBytes: 256 * 1024 }), runnerAuth());

runnerRoutes.post('/lease', async (c) => {
  const body = parseJson(c.get('rawBody'), leaseBodySchema, { allowEmpty: true });
  // `signal` aborts when the runner hangs up (wrangler.toml's `enable_request_signal` flag; without it the signal never
  // fires). Workers cancel a handler whose client is gone, but a shard may be granting a lease at that very moment, so
  // the loop runs under waitUntil: it outlives the cancelled handler long enough to see the grant and hand it back.
  const signal = c.req.raw.signal;
  const granting = leaseForRunner(c.env, c.get('runnerId'), body.tasks ?? null, body.wait_ms, signal);
  keepAlive(c, granting);
  const grant = await granting;
  if (!grant) return c.body(null, 204);
  const { job, lease } = grant;
  return c.json({
    job: {
      id: job.id,
      task: job.task,
      attempt: job.attempts,
      // When the job was accepted (epoch ms): lets runners report how long jobs wait in the queue.
      created_at: job.created_at,
      params: job.params,
      output: { prefix: job.output_prefix },
    },
    lease,
  });
});

/**
 * The long-poll: sweeps every shard, then blocks on one shard at a time in slices until `waitMs` runs out. Stops as
 * soon as `signal` aborts, and releases (no attempt used) a lease granted to a runner that already hung up.
 */
async function leaseForRunner(
  env: Env,
  runnerId: string,
  tasks: Task[] | null,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<LeaseGrant | null> {
  const config = readConfig(env);
  const deadline = Date.now() + waitMs;
  const start = Math.floor(Math.random() * config.queueShards);
  let grant: LeaseGrant | null = null;
  for (let round = 0; !grant && !signal?.aborted; round++) {
    // Sweep every shard from a random start so runners spread over shards and none is starved.
    for (let i = 0; i < config.queueShards && !grant; i++) {
      grant = await shardStub(env, (start + round + i) % config.queueShards).lease(
        runnerId,
        tasks,
        0,
        config.leaseTtlMs,
      );
    }
    const remaining = deadline - Date.now();
    if (grant || remaining <= 0 || signal?.aborted) break;
    // Block on one shard for a slice: a job enqueued there is handed over at once; elsewhere within a slice.
    const shard = (start + round) % config.queueShards;
    grant = await shardStub(env, shard).lease(runnerId, tasks, Math.min(remaining, BLOCK_SLICE_MS), config.leaseTtlMs);
  }
  if (grant && signal?.aborted) {
    // The runner hung up while waiting: give the job back now rather than burning an attempt on an orphaned lease.
    await shardForJob(env, grant.job.id).release(grant.job.id, grant.lease.id);
    return null;
  }
  return grant;
}

/** Lets `work` finish even if the runtime cancels the handler (client gone); a no-op outside a Workers invocation. */
function keepAlive(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work.catch(() => {}));
  } catch {
    // Hono throws when the app runs without an ExecutionContext (app.request in unit tests): nothing to extend then.
  }
}

runnerRoutes.post('/jobs/:id/heartbeat', async (c) => {
  const id = c.req.param('id');
  const body = parseJson(c.get('rawBody'), heartbeatBodySchema);
  const outcome = await shardForJob(c.env, id).heartbeat(
    id,
    body.lease_id,
    body.progress ?? null,
    readConfig(c.env).leaseTtlMs,
  );
  if (outcome.kind !== 'ok') throw leaseRefused(id, outcome);
  return c.json({ cancel: outcome.cancel, lease_expires_at: outcome.lease_expires_at });
});

runnerRoutes.post('/jobs/:id/complete', async (c) => {
  const id = c.req.param('id');
  const body = parseJson(c.get('rawBody'), completeBodySchema);
  const outcome = await shardForJob(c.env, id).complete(id, body.lease_id, body.result);
  if (outcome.kind === 'invalid')
    throw new ApiError(400, outcome.message, { param: 'result.images', code: 'invalid_result' });
  if (outcome.kind !== 'ok') throw leaseRefused(id, outcome);
  return c.json({ status: 'succeeded', duplicate: outcome.duplicate });
});

runnerRoutes.post('/jobs/:id/fail', async (c) => {
  const id = c.req.param('id');
  const body = parseJson(c.get('rawBody'), failBodySchema);
  const outcome = await shardForJob(c.env, id).fail(id, body.lease_id, body.error, body.retryable);
  if (outcome.kind !== 'ok') throw leaseRefused(id, outcome);
  return c.json({ status: outcome.status });
});

runnerRoutes.post('/jobs/:id/release', async (c) => {
  const id = c.req.param('id');
  const body = parseJson(c.get('rawBody'), releaseBodySchema);
  const outcome = await shardForJob(c.env, id).release(id, body.lease_id);
  if (outcome.kind !== 'ok') throw leaseRefused(id, outcome);
  return c.json({ status: outcome.status });
});

/** The HTTP answer when a runner call's lease is not the job's current one: 404 for an unknown job, else 409. */
function leaseRefused(id: string, refusal: LeaseRefusal): ApiError {
  if (refusal.kind === 'not_found') return jobNotFound(id);
  return new ApiError(409, `The lease is no longer held (job is ${refusal.status}).`, { code: 'lease_not_current' });
}

import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { QueueShard } from '../src/durable/queue-shard';
import { shardOfJobId } from '../src/jobs/job-id';
import { shardStub } from '../src/jobs/shards';
import { callJson, createKey, runnerCall } from './helpers';

/** Shards of the test configuration (vitest.config.ts). */
const SHARDS = 4;

/** The shard a blocked long-poll is waiting on (its in-memory LeaseWaiters list; test introspection only). */
async function waitingShard(deadlineMs: number): Promise<number> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    for (let shard = 0; shard < SHARDS; shard++) {
      const waiters = await runInDurableObject(
        shardStub(env, shard),
        (instance: QueueShard) =>
          (instance as unknown as { leaseWaiters: { waiters: unknown[] } }).leaseWaiters.waiters.length,
      );
      if (waiters > 0) return shard;
    }
  }
  throw new Error('no shard has a waiting lease request');
}

interface JobRow {
  status: string;
  attempts: number;
  version: number;
  runner_id: string | null;
}

async function jobRow(shard: number, id: string): Promise<JobRow> {
  return runInDurableObject(shardStub(env, shard), (_instance: QueueShard, state) =>
    state.storage.sql
      .exec<Record<string, SqlStorageValue> & JobRow>(
        'SELECT status, attempts, version, runner_id FROM jobs WHERE id = ?',
        id,
      )
      .one(),
  );
}

describe('a runner that hangs up during the lease long-poll', () => {
  it('gets no lease: a job granted after it left goes back to the queue at once, without using an attempt', async () => {
    expect(env.QUEUE_SHARDS).toBe(String(SHARDS));
    const key = await createKey();
    const hangUp = new AbortController();
    const polling = runnerCall('/v1/runner/lease', { wait_ms: 20_000 }, { runnerId: 'gone', signal: hangUp.signal });
    polling.catch(() => {});
    // The long-poll swept every (empty) shard and now blocks on one of them.
    const shard = await waitingShard(10_000);
    hangUp.abort();
    await expect(polling).rejects.toThrow();
    // A job lands on that shard while its blocked lease call is still open: the shard grants it to the departed runner.
    let id = '';
    for (let tries = 0; tries < 64 && !id; tries++) {
      const created = await callJson('/v1/jobs', key.key, {
        task: 'text2image',
        input: { prompt: 'x', size: '64x64' },
      });
      const job = await created.json<{ id: string }>();
      if (shardOfJobId(job.id, SHARDS) === shard) id = job.id;
    }
    expect(id).not.toBe('');
    // The grant happened (lease and release each bump the version) and was handed back: queued, no attempt used.
    let row = await jobRow(shard, id);
    for (const until = Date.now() + 5_000; row.version < 3 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      row = await jobRow(shard, id);
    }
    expect(row).toEqual({ status: 'queued', attempts: 0, version: 3, runner_id: null });
  });
});

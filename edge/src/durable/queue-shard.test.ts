import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../config';
import type { NewJob } from '../jobs/types';
import { randomToken } from '../lib/random';
import { deleteExpiredJobs } from './queue/retention';
import type { QueueShard } from './queue-shard';

const TTL = 30_000;

function freshShard() {
  return env.QUEUE.get(env.QUEUE.idFromName(`unit-${randomToken(12)}`));
}

async function keyObjectId(): Promise<string> {
  // Releases go to a real key object; any id works for the queue's own semantics.
  return env.API_KEYS.idFromName(`unit-key-${randomToken(8)}`).toString();
}

async function newJob(overrides: Partial<NewJob> = {}): Promise<NewJob> {
  return {
    id: `job_00${randomToken(22)}`,
    tenant: 'tenant-a',
    key_object_id: await keyObjectId(),
    task: 'text2image',
    params: {
      prompt: 'p',
      n: 1,
      width: 512,
      height: 512,
      seed: 1,
      steps: 10,
      guidance_scale: 4,
      prior_steps: 5,
      prior_guidance_scale: 4,
      scheduler: 'ddim',
      output_format: 'png',
    },
    output_prefix: 'results/tenant-a/x/',
    max_attempts: 3,
    webhook_url: null,
    webhook_secret: null,
    user: null,
    idempotency_key: null,
    request_hash: null,
    ...overrides,
  };
}

/** Ends a lease as if its time ran out: the shard expires it at its next call, as it would after the lease TTL. */
function endLease(shard: ReturnType<typeof freshShard>, jobId: string): Promise<void> {
  return runInDurableObject(shard, (_instance: QueueShard, state) => {
    state.storage.sql.exec('UPDATE jobs SET lease_expires_at = ? WHERE id = ?', Date.now() - 1, jobId);
  });
}

const image = (key: string) => ({
  key,
  width: 512,
  height: 512,
  content_type: 'image/png' as const,
  seed: 1,
  bytes: 10,
});

describe('QueueShard', () => {
  it('leases FIFO, filters by task, and returns null when empty', async () => {
    const shard = freshShard();
    const first = await newJob();
    const second = await newJob({ task: 'inpaint' });
    await shard.enqueue(first, 10, 1);
    await shard.enqueue(second, 10, 2);
    expect((await shard.lease('r', ['inpaint'], 0, TTL))?.job.id).toBe(second.id);
    expect((await shard.lease('r', null, 0, TTL))?.job.id).toBe(first.id);
    expect(await shard.lease('r', null, 0, TTL)).toBeNull();
  });

  it('hands a job to a waiting long-poll as soon as it is enqueued', async () => {
    const shard = freshShard();
    const job = await newJob();
    const waiting = shard.lease('r', null, 5_000, TTL);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await shard.enqueue(job, 10);
    const grant = await waiting;
    expect(grant?.job.id).toBe(job.id);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('re-leases a job whose lease expired, and the old lease can no longer act', async () => {
    const shard = freshShard();
    const job = await newJob();
    await shard.enqueue(job, 10);
    const first = (await shard.lease('r1', null, 0, TTL))!;
    await endLease(shard, job.id);
    const second = (await shard.lease('r2', null, 0, TTL))!;
    expect(second.job.id).toBe(job.id);
    expect(second.job.attempts).toBe(2);
    expect(await shard.heartbeat(job.id, first.lease.id, null, TTL)).toMatchObject({ kind: 'conflict' });
    expect(await shard.complete(job.id, first.lease.id, { images: [image('results/tenant-a/x/0.png')] })).toMatchObject(
      { kind: 'conflict' },
    );
    expect(await shard.heartbeat(job.id, second.lease.id, null, TTL)).toMatchObject({ kind: 'ok', cancel: false });
  });

  it('fails the job visibly once its attempts are used up', async () => {
    const shard = freshShard();
    const job = await newJob({ max_attempts: 2 });
    await shard.enqueue(job, 10);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const grant = (await shard.lease('r', null, 0, TTL))!;
      expect(grant.job.attempts).toBe(attempt);
      await endLease(shard, grant.job.id);
    }
    expect(await shard.lease('r', null, 0, TTL)).toBeNull();
    const failed = await shard.get(job.id, 'tenant-a');
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.code).toBe('attempts_exhausted');
  });

  it('requeues retryable failures until max attempts, then fails', async () => {
    const shard = freshShard();
    const job = await newJob({ max_attempts: 2 });
    await shard.enqueue(job, 10);
    const error = { code: 'oom', message: 'out of memory' };
    let grant = (await shard.lease('r', null, 0, TTL))!;
    expect(await shard.fail(job.id, grant.lease.id, error, true)).toEqual({ kind: 'ok', status: 'queued' });
    grant = (await shard.lease('r', null, 0, TTL))!;
    expect(await shard.fail(job.id, grant.lease.id, error, true)).toEqual({ kind: 'ok', status: 'failed' });
    expect((await shard.get(job.id, null))?.error?.code).toBe('attempts_exhausted');
  });

  it('fails at once on a non-retryable failure', async () => {
    const shard = freshShard();
    const job = await newJob();
    await shard.enqueue(job, 10);
    const grant = (await shard.lease('r', null, 0, TTL))!;
    expect(await shard.fail(job.id, grant.lease.id, { code: 'bad_input', message: 'x' }, false)).toEqual({
      kind: 'ok',
      status: 'failed',
    });
    expect((await shard.get(job.id, null))?.error).toEqual({ code: 'bad_input', message: 'x' });
  });

  it('ignores duplicate completions and refuses results outside the output prefix', async () => {
    const shard = freshShard();
    const job = await newJob();
    await shard.enqueue(job, 10);
    const grant = (await shard.lease('r', null, 0, TTL))!;
    const outside = await shard.complete(job.id, grant.lease.id, { images: [image('results/other/0.png')] });
    expect(outside).toMatchObject({ kind: 'invalid' });
    const result = { images: [image('results/tenant-a/x/0.png')] };
    expect(await shard.complete(job.id, grant.lease.id, result)).toEqual({ kind: 'ok', duplicate: false });
    const version = (await shard.get(job.id, null))!.version;
    expect(await shard.complete(job.id, grant.lease.id, result)).toEqual({ kind: 'ok', duplicate: true });
    expect((await shard.get(job.id, null))!.version).toBe(version);
    expect(await shard.complete(job.id, 'lease_other', result)).toMatchObject({ kind: 'conflict' });
  });

  it('cancels queued jobs at once and running jobs at the next heartbeat', async () => {
    const shard = freshShard();
    const queued = await newJob();
    await shard.enqueue(queued, 10);
    expect((await shard.cancel(queued.id, 'tenant-a')).kind).toBe('ok');
    expect(await shard.lease('r', null, 0, TTL)).toBeNull();

    const running = await newJob();
    await shard.enqueue(running, 10);
    const grant = (await shard.lease('r', null, 0, TTL))!;
    const cancelled = await shard.cancel(running.id, 'tenant-a');
    expect(cancelled).toMatchObject({ kind: 'ok', job: { status: 'cancelled' } });
    expect(await shard.heartbeat(running.id, grant.lease.id, null, TTL)).toMatchObject({ kind: 'ok', cancel: true });
    expect(
      await shard.complete(running.id, grant.lease.id, { images: [image('results/tenant-a/x/0.png')] }),
    ).toMatchObject({
      kind: 'conflict',
    });
    expect(await shard.fail(running.id, grant.lease.id, { code: 'cancelled', message: '' }, false)).toEqual({
      kind: 'ok',
      status: 'cancelled',
    });
    expect((await shard.cancel(running.id, 'tenant-a')).kind).toBe('ok');
    expect((await shard.cancel(running.id, 'tenant-b')).kind).toBe('not_found');
  });

  it('releases a job without spending an attempt', async () => {
    const shard = freshShard();
    const job = await newJob();
    await shard.enqueue(job, 10);
    const grant = (await shard.lease('r', null, 0, TTL))!;
    expect(await shard.release(job.id, grant.lease.id)).toEqual({ kind: 'ok', status: 'queued' });
    expect((await shard.lease('r', null, 0, TTL))?.job.attempts).toBe(1);
  });

  it('refuses new jobs beyond its capacity', async () => {
    const shard = freshShard();
    expect((await shard.enqueue(await newJob(), 2)).kind).toBe('queued');
    expect((await shard.enqueue(await newJob(), 2)).kind).toBe('queued');
    expect((await shard.enqueue(await newJob(), 2)).kind).toBe('full');
  });

  it('expires leases from its alarm without any runner polling', async () => {
    const shard = freshShard();
    const job = await newJob({ max_attempts: 1 });
    await shard.enqueue(job, 10);
    await shard.lease('r', null, 0, 1); // 1 ms lease
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { runDurableObjectAlarm } = await import('cloudflare:test');
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect((await shard.get(job.id, null))?.status).toBe('failed');
  });

  it('wakes watchers on change', async () => {
    const shard = freshShard();
    const job = await newJob();
    const queued = await shard.enqueue(job, 10);
    const version = queued.kind === 'queued' ? queued.job.version : 0;
    const watching = shard.watch(job.id, 'tenant-a', version, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await shard.cancel(job.id, 'tenant-a');
    expect((await watching)?.status).toBe('cancelled');
  });

  it('deletes finished jobs after the retention period and keeps the rest', async () => {
    const shard = freshShard();
    const old = await newJob();
    const open = await newJob();
    await shard.enqueue(old, 10);
    await shard.enqueue(open, 10);
    await shard.cancel(old.id, 'tenant-a');
    const day = 24 * 3600 * 1000;
    const retentionMs = readConfig(env).jobRetentionMs;
    const deleted = await runInDurableObject(shard, (_instance: QueueShard, state) => [
      deleteExpiredJobs(state.storage.sql, Date.now() + 29 * day, retentionMs),
      deleteExpiredJobs(state.storage.sql, Date.now() + 31 * day, retentionMs),
    ]);
    expect(deleted).toEqual([0, 1]);
    expect(await shard.get(old.id, null)).toBeNull();
    expect((await shard.get(open.id, null))?.status).toBe('queued');
  });
});

import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { QueueShard } from '../src/durable/queue-shard';
import { shardForJob } from '../src/jobs/shards';
import { toBase64 } from '../src/lib/crypto';
import { webhookHeaders } from '../src/webhooks/sign';
import { completeWithPngs, lease, runOneJob, testStore } from './fake-runner';
import { call, callJson, createKey, expectError, runnerCall, runningJobSlots, tinyPng } from './helpers';

const textJob = (prompt = 'a castle') => ({
  task: 'text2image',
  input: { prompt, n: 2, size: '500x300', seed: 42, steps: 20 },
});

interface PublicJob {
  id: string;
  status: string;
  attempts: number;
  created_at: number;
  progress: { stage: string; step: number; total_steps: number } | null;
  input: Record<string, unknown>;
  output: { images: { url: string; width: number; seed: number }[]; urls_expire_at: number } | null;
  error: { code: string } | null;
}

describe('job lifecycle through the HTTP APIs', () => {
  it('create -> lease -> heartbeat with progress -> complete -> signed URLs that the bucket serves', async () => {
    const key = await createKey();
    const created = await callJson('/v1/jobs', key.key, textJob());
    expect(created.status).toBe(202);
    const job = await created.json<PublicJob>();
    expect(created.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job.input).toMatchObject({
      width: 512,
      height: 320,
      n: 2,
      seed: 42,
      steps: 20,
      scheduler: 'ddim',
      prior_steps: 25,
    });

    const leased = (await lease())!;
    expect(leased.job).toMatchObject({
      id: job.id,
      task: 'text2image',
      attempt: 1,
      output: { prefix: `results/${key.tenant}/${job.id}/` },
    });
    // The runner sees the accept time in ms (for its queue-wait metric); the public job shows seconds.
    expect(Math.floor(leased.job.created_at / 1000)).toBe(job.created_at);
    const beat = await runnerCall(`/v1/runner/jobs/${job.id}/heartbeat`, {
      lease_id: leased.lease.id,
      progress: { stage: 'decoder', step: 3, total_steps: 20 },
    });
    expect(await beat.json()).toMatchObject({ cancel: false });
    const running = await (await callJson(`/v1/jobs/${job.id}`, key.key)).json<PublicJob>();
    expect(running).toMatchObject({
      status: 'running',
      attempts: 1,
      progress: { stage: 'decoder', step: 3, total_steps: 20 },
    });

    const { response, png, body } = await completeWithPngs(leased);
    expect(await response.json()).toEqual({ status: 'succeeded', duplicate: false });
    const again = await runnerCall(`/v1/runner/jobs/${job.id}/complete`, body);
    expect(await again.json()).toEqual({ status: 'succeeded', duplicate: true });

    const done = await (await callJson(`/v1/jobs/${job.id}`, key.key)).json<PublicJob>();
    expect(done.status).toBe('succeeded');
    expect(done.output!.images.map((image) => image.seed)).toEqual([42, 43]);
    const fetched = await fetch(done.output!.images[1].url);
    expect(fetched.status).toBe(200);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(png);
    expect(done.output!.urls_expire_at - Date.now() / 1000).toBeGreaterThan(3500);
  });

  it('honours Prefer: wait on create and on get', async () => {
    const key = await createKey();
    const pending = callJson('/v1/jobs', key.key, textJob(), { headers: { prefer: 'wait=10' } });
    await runOneJob();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=10');
    expect((await response.json<PublicJob>()).status).toBe('succeeded');

    const queued = await (await callJson('/v1/jobs', key.key, textJob())).json<PublicJob>();
    const started = Date.now();
    const waited = await callJson(`/v1/jobs/${queued.id}`, key.key, undefined, { headers: { prefer: 'wait=1' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await waited.json<PublicJob>()).status).toBe('queued');
    await callJson(`/v1/jobs/${queued.id}/cancel`, key.key, {});
  });

  it('makes creation idempotent per Idempotency-Key', async () => {
    const key = await createKey();
    const headers = { 'idempotency-key': 'order-1234' };
    const first = await callJson('/v1/jobs', key.key, textJob('a'), { headers });
    const second = await callJson('/v1/jobs', key.key, textJob('a'), { headers });
    const firstJob = await first.json<PublicJob>();
    expect((await second.json<PublicJob>()).id).toBe(firstJob.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await callJson('/v1/jobs', key.key, textJob('b'), { headers });
    expect((await expectError(conflict, 409)).code).toBe('idempotency_key_reused');
    const other = await createKey();
    const otherJob = await (await callJson('/v1/jobs', other.key, textJob('a'), { headers })).json<PublicJob>();
    expect(otherJob.id).not.toBe(firstJob.id);
    const list = await (await callJson('/v1/jobs', key.key)).json<{ data: PublicJob[] }>();
    expect(list.data).toHaveLength(1);
    for (const id of [firstJob.id, otherJob.id])
      await shardForJob(env, id).cancel(id, id === firstJob.id ? key.tenant : other.tenant);
  });

  it('creates exactly one job for concurrent retries with the same Idempotency-Key', async () => {
    const key = await createKey();
    const headers = { 'idempotency-key': 'burst-1' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => callJson('/v1/jobs', key.key, textJob('same'), { headers })),
    );
    const ids = new Set(await Promise.all(responses.map(async (response) => (await response.json<PublicJob>()).id)));
    expect(responses.every((response) => response.status === 202)).toBe(true);
    expect(ids.size).toBe(1);
    const list = await (await callJson('/v1/jobs', key.key)).json<{ data: PublicJob[] }>();
    expect(list.data).toHaveLength(1);
    expect(await runningJobSlots(key)).toBe(1);
    await callJson(`/v1/jobs/${[...ids][0]}/cancel`, key.key, {});
  });

  it('tells a runner to stop when the client cancels, and refuses its stale lease afterwards', async () => {
    const key = await createKey();
    const job = await (await callJson('/v1/jobs', key.key, textJob())).json<PublicJob>();
    const leased = (await lease())!;
    const cancelled = await (await callJson(`/v1/jobs/${job.id}/cancel`, key.key, {})).json<PublicJob>();
    expect(cancelled.status).toBe('cancelled');
    const beat = await runnerCall(`/v1/runner/jobs/${job.id}/heartbeat`, { lease_id: leased.lease.id });
    expect(await beat.json()).toMatchObject({ cancel: true });
    const { response } = await completeWithPngs(leased);
    expect((await expectError(response, 409)).code).toBe('lease_not_current');
    const finished = await callJson(`/v1/jobs/${job.id}/cancel`, key.key, {});
    expect(finished.status).toBe(200);
  });

  it('paginates the job list newest first', async () => {
    const key = await createKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await (await callJson('/v1/jobs', key.key, textJob(`p${i}`))).json<PublicJob>()).id);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const page1 = await (await callJson('/v1/jobs?limit=3', key.key)).json<{
      data: PublicJob[];
      has_more: boolean;
      next_cursor: string;
    }>();
    expect(page1.has_more).toBe(true);
    const page2 = await (await callJson(`/v1/jobs?limit=3&after=${page1.next_cursor}`, key.key)).json<{
      data: PublicJob[];
      has_more: boolean;
    }>();
    expect(page2.has_more).toBe(false);
    expect([...page1.data, ...page2.data].map((job) => job.id)).toEqual([...ids].reverse());
    for (const id of ids) await callJson(`/v1/jobs/${id}/cancel`, key.key, {});
  });

  it('streams progress as Server-Sent Events until the job is done', async () => {
    const key = await createKey();
    const job = await (await callJson('/v1/jobs', key.key, textJob())).json<PublicJob>();
    const events = await callJson(`/v1/jobs/${job.id}/events`, key.key);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    expect(events.headers.get('x-request-id')).toMatch(/^req_/);
    const leased = (await lease())!;
    await runnerCall(`/v1/runner/jobs/${job.id}/heartbeat`, {
      lease_id: leased.lease.id,
      progress: { stage: 'prior', step: 1, total_steps: 25 },
    });
    await completeWithPngs(leased);
    const text = await events.text();
    const statuses = [...text.matchAll(/^event: job\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]).status);
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('succeeded');
    expect(text).toContain('event: done');
  });
});

describe('input images', () => {
  it('accepts multipart uploads, checks them, and stores them in the bucket for the runner', async () => {
    const key = await createKey();
    const png = await tinyPng(96, 64);
    const form = new FormData();
    form.set('request', JSON.stringify({ task: 'variation', input: { image: 'attachment:photo' } }));
    form.set('photo', new Blob([png], { type: 'image/png' }), 'photo.png');
    const response = await call('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}` },
      body: form,
    });
    expect(response.status).toBe(202);
    const job = await response.json<PublicJob>();
    expect(job.input.image).toBe(`inputs/${key.tenant}/${job.id}/image.png`);
    expect(await testStore().get(job.input.image as string)).toEqual(png);
    await callJson(`/v1/jobs/${job.id}/cancel`, key.key, {});
  });

  it('accepts base64 and data-URL images in JSON (img2img, inpaint, fuse)', async () => {
    const key = await createKey();
    const png = toBase64(await tinyPng(64, 64));
    const bodies = [
      { task: 'img2img', input: { prompt: 'x', image: `data:image/png;base64,${png}`, strength: 0.5 } },
      { task: 'inpaint', input: { prompt: 'x', image: png, mask: png } },
      {
        task: 'fuse',
        input: {
          inputs: [
            { type: 'text', text: 'a cat', weight: 0.5 },
            { type: 'image', image: png, weight: 0.5 },
          ],
        },
      },
    ];
    for (const body of bodies) {
      const response = await callJson('/v1/jobs', key.key, body);
      expect(response.status).toBe(202);
      const job = await response.json<PublicJob>();
      if (body.task === 'fuse')
        expect((job.input.inputs as { image?: string }[])[1].image).toBe(`inputs/${key.tenant}/${job.id}/input-1.png`);
      if (body.task === 'img2img') expect(job.input.strength).toBe(0.5);
      await callJson(`/v1/jobs/${job.id}/cancel`, key.key, {});
    }
  });
});

/** The delivery log of a job's webhooks, read from its shard's storage. */
function webhookLog(shard: ReturnType<typeof shardForJob>, jobId: string): Promise<Record<string, SqlStorageValue>[]> {
  return runInDurableObject(shard, (_instance: QueueShard, state) =>
    state.storage.sql.exec('SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at', jobId).toArray(),
  );
}

describe('webhooks', () => {
  const hookUrl = (name: string) => `http://127.0.0.1:${inject('hookPort')}/hooks/${name}`;
  const received = async (name: string) =>
    (await (await fetch(`http://127.0.0.1:${inject('hookPort')}/received/${name}`)).json()) as {
      headers: Record<string, string>;
      body: string;
    }[];

  it('delivers a Standard Webhooks-signed event when the job finishes', async () => {
    const key = await createKey();
    const name = `ok-${Date.now()}`;
    const job = await (
      await callJson('/v1/jobs', key.key, { ...textJob(), webhook_url: hookUrl(name) })
    ).json<PublicJob>();
    await runOneJob();
    let deliveries: Awaited<ReturnType<typeof received>> = [];
    for (let i = 0; i < 100 && deliveries.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      deliveries = await received(name);
    }
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({ type: 'job.succeeded', data: { id: job.id, status: 'succeeded' } });
    expect(payload.data.output.images[0].url).toContain('X-Amz-Signature=');
    const expected = await webhookHeaders(
      key.webhook_secret,
      delivery.headers['webhook-id'],
      Number(delivery.headers['webhook-timestamp']),
      delivery.body,
    );
    expect(delivery.headers['webhook-signature']).toBe(expected['webhook-signature']);
    expect(Math.abs(Number(delivery.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('schedules a retry with backoff when the receiver fails', async () => {
    const key = await createKey();
    const name = `fail-${Date.now()}`;
    const job = await (
      await callJson('/v1/jobs', key.key, { ...textJob(), webhook_url: hookUrl(name) })
    ).json<PublicJob>();
    await runOneJob();
    const shard = shardForJob(env, job.id);
    let log: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && !(log[0]?.attempts === 1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      log = await webhookLog(shard, job.id);
    }
    expect(log[0]).toMatchObject({ attempts: 1, last_status: 500, delivered_at: null });
    const delay = (log[0].next_attempt_at as number) - Date.now();
    expect(delay).toBeGreaterThan(3_000);
    expect(delay).toBeLessThanOrEqual(5_000);
    expect(await received(name)).toHaveLength(1);

    // Make the retry due now and fire the shard's alarm: the second attempt goes out with the same message id.
    await runInDurableObject(shard, (instance: QueueShard, state) => {
      state.storage.sql.exec(
        'UPDATE webhook_deliveries SET next_attempt_at = ? WHERE job_id = ?',
        Date.now() - 1,
        job.id,
      );
      return instance.alarm();
    });
    const retried = await webhookLog(shard, job.id);
    expect(retried[0]).toMatchObject({ attempts: 2, last_status: 500 });
    expect((retried[0].next_attempt_at as number) - Date.now()).toBeGreaterThan(25_000);
    const deliveries = await received(name);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1].headers['webhook-id']).toBe(deliveries[0].headers['webhook-id']);
  });

  it('refuses private and loopback webhook targets in production mode', async () => {
    const { createApp } = await import('../src/app');
    const { sha256Hex } = await import('../src/lib/crypto');
    const key = await createKey();
    const productionEnv = { ...env, ENVIRONMENT: 'production', ALLOW_PRIVATE_WEBHOOKS: 'true' };
    expect(await sha256Hex(key.key)).toHaveLength(64);
    for (const target of [
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://169.254.169.254/x',
      'https://[::1]/x',
      hookUrl('x'),
    ]) {
      const request = new Request('http://gateway.test/v1/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...textJob(), webhook_url: target }),
      });
      const response = await createApp().fetch(request, productionEnv);
      const error = await expectError(response, 400);
      expect(error.param).toBe('webhook_url');
    }
  });
});

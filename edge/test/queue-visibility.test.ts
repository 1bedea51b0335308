import { describe, expect, it } from 'vitest';
import { completeWithPngs, type Leased, lease } from './fake-runner';
import { callJson, createKey } from './helpers';
import { sseReader } from './sse';

/** QUEUE_SHARDS in vitest.config.ts. */
const SHARDS = 4;

interface QueuedJob {
  id: string;
  status: string;
  queue: { position: number; estimated_start_at: number | null; start_interval_ms: number | null } | null;
  metrics: {
    queue_wait_ms: number | null;
    predict_ms: number | null;
    stages_ms: Record<string, number> | null;
    total_ms: number;
  } | null;
}

/** An Idempotency-Key that puts a tenant's job on `shard` (the edge picks the shard from a hash of both). */
async function keyForShard(tenant: string, shard: number, salt: string): Promise<string> {
  for (let i = 0; ; i++) {
    const key = `${salt}-${i}`;
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${tenant}\n${key}`));
    if (new DataView(digest).getUint32(0) % SHARDS === shard) return key;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('queue visibility', () => {
  it('position and estimate move as the jobs ahead start and finish (one runner, held back)', async () => {
    const key = await createKey();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const idempotency = await keyForShard(key.tenant, 2, name);
      const response = await callJson(
        '/v1/jobs',
        key.key,
        { task: 'text2image', input: { prompt: name, size: '64x64', steps: 2, prior_steps: 2 } },
        { headers: { 'idempotency-key': idempotency } },
      );
      const job = await response.json<QueuedJob>();
      expect(job.queue).toMatchObject({ position: ids.length + 1, estimated_start_at: null });
      ids.push(job.id);
      await sleep(5); // distinct accept times: the shard hands them out in this order
    }
    const get = async (id: string) => (await callJson(`/v1/jobs/${id}`, key.key)).json<QueuedJob>();
    const [a, b, c] = ids;
    expect((await get(c)).queue).toEqual({ position: 3, estimated_start_at: null, start_interval_ms: null });

    // The stream of the last job reports its place, then each move.
    const events = sseReader(await callJson(`/v1/jobs/${c}/events`, key.key));
    const first = JSON.parse((await events.next((e) => e.event === 'job')).data) as QueuedJob;
    expect(first.queue?.position).toBe(3);

    // The runner takes a and holds it: b and c move up.
    const leasedA = (await lease()) as Leased;
    expect(leasedA.job.id).toBe(a);
    expect((await get(b)).queue?.position).toBe(1);
    const moved = JSON.parse((await events.next((e) => e.event === 'queue')).data);
    expect(moved).toMatchObject({ id: c, queue: { position: 2, estimated_start_at: null } });

    // a takes a while; while it runs, nobody moves. Then it finishes and the runner takes b.
    await sleep(1_200);
    expect((await get(c)).queue?.position).toBe(2);
    await completeWithPngs(leasedA);
    const leasedB = (await lease()) as Leased;
    expect(leasedB.job.id).toBe(b);
    // The shard has now measured one interval between starts while jobs waited: c gets an estimate.
    const now = Date.now();
    const place = (await get(c)).queue!;
    expect(place.position).toBe(1);
    expect(place.start_interval_ms).toBeGreaterThanOrEqual(1_200);
    expect(place.estimated_start_at! * 1000).toBeGreaterThanOrEqual(Math.floor(now / 1000) * 1000);
    expect(place.estimated_start_at! * 1000).toBeLessThanOrEqual(now + place.start_interval_ms! + 1000);
    const streamed = JSON.parse((await events.next((e) => e.event === 'queue')).data);
    expect(streamed.queue).toMatchObject({ position: 1, start_interval_ms: place.start_interval_ms });

    // b finishes, c starts: no place any more; once c finishes, it carries its metrics.
    await completeWithPngs(leasedB);
    const leasedC = (await lease()) as Leased;
    expect(leasedC.job.id).toBe(c);
    expect((await get(c)).queue).toBeNull();
    await completeWithPngs(leasedC, {
      inputs_ms: 4,
      encode_ms: 10,
      prior_ms: 20,
      decoder_ms: 300,
      movq_ms: 40,
      generate_ms: 375,
      upload_ms: 12,
      total_ms: 400,
    });
    const done = await get(c);
    expect(done.metrics).toMatchObject({
      predict_ms: 375,
      stages_ms: { encode: 10, prior: 20, decoder: 300, movq: 40, upload: 12 },
    });
    // c waited for a and b to run: more than the 1.2 s a was held.
    expect(done.metrics!.queue_wait_ms).toBeGreaterThanOrEqual(1_200);
    expect(done.metrics!.total_ms).toBeGreaterThanOrEqual(done.metrics!.queue_wait_ms!);
    await events.next((e) => e.event === 'done');
  });

  it('a job on another shard is not "behind" this shard\'s jobs: positions are per shard', async () => {
    const key = await createKey();
    const create = async (shard: number, name: string) =>
      (
        await callJson(
          '/v1/jobs',
          key.key,
          { task: 'text2image', input: { prompt: name } },
          { headers: { 'idempotency-key': await keyForShard(key.tenant, shard, name) } },
        )
      ).json<QueuedJob>();
    expect((await create(0, 'x')).queue?.position).toBe(1);
    expect((await create(0, 'y')).queue?.position).toBe(2);
    expect((await create(1, 'z')).queue?.position).toBe(1);
    // A cancelled job leaves the queue: the one behind it moves up.
    const list = await (await callJson('/v1/jobs', key.key)).json<{ data: (QueuedJob & { id: string })[] }>();
    const [z, y, x] = list.data;
    expect([x.queue?.position, y.queue?.position, z.queue?.position]).toEqual([1, 2, 1]);
    await callJson(`/v1/jobs/${x.id}/cancel`, key.key, {});
    expect((await (await callJson(`/v1/jobs/${y.id}`, key.key)).json<QueuedJob>()).queue?.position).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { callJson, createKey, expectError, runningJobSlots } from './helpers';

const job = { task: 'text2image', input: { prompt: 'a boat' } };

describe('token bucket', () => {
  it('admits exactly the bucket size under concurrent requests, then answers 429 with Retry-After', async () => {
    const key = await createKey({ requests_per_minute: 10 });
    const responses = await Promise.all(Array.from({ length: 40 }, () => callJson('/v1/jobs', key.key)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    const limited = responses.find((response) => response.status === 429)!;
    const error = await expectError(limited, 429);
    expect(error.type).toBe('rate_limit_error');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const ok = responses.find((response) => response.status === 200)!;
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('10');
  });

  it('keeps separate buckets per key', async () => {
    const a = await createKey({ requests_per_minute: 2 });
    const b = await createKey({ requests_per_minute: 2 });
    for (let i = 0; i < 2; i++) expect((await callJson('/v1/jobs', a.key)).status).toBe(200);
    await expectError(await callJson('/v1/jobs', a.key), 429);
    expect((await callJson('/v1/jobs', b.key)).status).toBe(200);
  });
});

describe('running-jobs cap', () => {
  it('refuses jobs beyond the key cap and frees a slot when a job finishes', async () => {
    const key = await createKey({ max_running_jobs: 2 });
    const created = [];
    for (let i = 0; i < 2; i++) created.push(await (await callJson('/v1/jobs', key.key, job)).json<{ id: string }>());
    const refused = await expectError(await callJson('/v1/jobs', key.key, job), 429);
    expect(refused.code).toBe('too_many_running_jobs');
    expect((await callJson(`/v1/jobs/${created[0].id}/cancel`, key.key, {})).status).toBe(200);
    // The release travels shard -> key object; wait until the slot is free.
    for (let i = 0; i < 50 && (await runningJobSlots(key)) > 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await callJson('/v1/jobs', key.key, job)).status).toBe(202);
  });
});

describe('global queue cap', () => {
  it('answers 503 with Retry-After once the shards are full, and frees the running slot of the refused job', async () => {
    // QUEUE_CAP=40 over 4 shards in the test config: 10 queued jobs per shard.
    const key = await createKey({ max_running_jobs: 1000, requests_per_minute: 100_000 });
    const created: string[] = [];
    let full: Response | null = null;
    for (let i = 0; i < 60 && !full; i++) {
      const response = await callJson('/v1/jobs', key.key, job);
      if (response.status === 503) full = response;
      else created.push((await response.json<{ id: string }>()).id);
    }
    expect(full).not.toBeNull();
    expect(created.length).toBeGreaterThanOrEqual(10);
    expect(created.length).toBeLessThanOrEqual(40);
    const error = await expectError(full!, 503);
    expect(error.code).toBe('queue_full');
    expect(full!.headers.get('retry-after')).toBe('10');
    expect(await runningJobSlots(key)).toBe(created.length);
    // Leave the queue empty for other tests.
    for (const id of created) expect((await callJson(`/v1/jobs/${id}/cancel`, key.key, {})).status).toBe(200);
  });
});

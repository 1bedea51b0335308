import { describe, expect, it } from 'vitest';
import { call, callJson, createKey } from './helpers';

describe('smoke', () => {
  it('creates a key and a job', async () => {
    const key = await createKey();
    const response = await callJson('/v1/jobs', key.key, { task: 'text2image', input: { prompt: 'a cat' } });
    expect(response.status).toBe(202);
    const job = await response.json<{ id: string; status: string }>();
    expect(job.status).toBe('queued');
    const health = await call('/healthz');
    expect(health.status).toBe(200);
  });
});

import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, callJson, createKey, expectError, runnerCall } from './helpers';

const job = { task: 'text2image', input: { prompt: 'a lighthouse' } };

describe('API keys', () => {
  it('refuses missing, malformed and unknown keys with 401', async () => {
    expect((await expectError(await call('/v1/jobs'), 401)).code).toBe('missing_api_key');
    expect((await expectError(await callJson('/v1/jobs', 'nope'), 401)).code).toBe('invalid_api_key');
    const unknown = `kd_live_${'A'.repeat(40)}`;
    expect((await expectError(await callJson('/v1/jobs', unknown), 401)).code).toBe('invalid_api_key');
  });

  it('returns the plaintext key once and stores only what it needs', async () => {
    const key = await createKey();
    expect(key.key).toMatch(/^kd_live_[0-9A-Za-z]{40}$/);
    const admin = await call(`/v1/admin/keys/${key.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const record = await admin.json<Record<string, unknown>>();
    expect(record.id).toBe(key.id);
    expect(JSON.stringify(record)).not.toContain(key.key);
    expect(record).not.toHaveProperty('webhook_secret');
  });

  it('revokes keys', async () => {
    const key = await createKey();
    expect((await callJson('/v1/jobs', key.key)).status).toBe(200);
    const revoked = await call(`/v1/admin/keys/${key.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect((await revoked.json<{ revoked_at: number | null }>()).revoked_at).toBeTypeOf('number');
    expect((await expectError(await callJson('/v1/jobs', key.key), 401)).code).toBe('invalid_api_key');
  });

  it('guards the admin API', async () => {
    const bad = await call('/v1/admin/keys', { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    expect((await expectError(bad, 401)).code).toBe('invalid_admin_token');
    expect(
      (
        await expectError(
          await call('/v1/admin/keys/key_missing', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
          404,
        )
      ).code,
    ).toBe('key_not_found');
  });
});

describe('tenant isolation', () => {
  it('hides jobs from other keys: get, cancel, events and list', async () => {
    const owner = await createKey();
    const stranger = await createKey();
    const created = await (await callJson('/v1/jobs', owner.key, job)).json<{ id: string }>();
    expect((await callJson(`/v1/jobs/${created.id}`, owner.key)).status).toBe(200);
    await expectError(await callJson(`/v1/jobs/${created.id}`, stranger.key), 404);
    await expectError(await callJson(`/v1/jobs/${created.id}/cancel`, stranger.key, {}), 404);
    await expectError(await callJson(`/v1/jobs/${created.id}/events`, stranger.key), 404);
    const list = await (await callJson('/v1/jobs', stranger.key)).json<{ data: unknown[] }>();
    expect(list.data).toEqual([]);
    const ownList = await (await callJson('/v1/jobs', owner.key)).json<{ data: { id: string }[] }>();
    expect(ownList.data.map((j) => j.id)).toEqual([created.id]);
  });
});

describe('runner credentials', () => {
  it('refuses unsigned, mis-signed and stale runner requests', async () => {
    const unsigned = await call('/v1/runner/lease', { method: 'POST', body: '{}' });
    expect((await expectError(unsigned, 401)).code).toBe('invalid_runner_signature');
    await expectError(await runnerCall('/v1/runner/lease', {}, { secret: 'wrong' }), 401);
    await expectError(
      await runnerCall('/v1/runner/lease', {}, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      401,
    );
    await expectError(await runnerCall('/v1/runner/lease', {}, { runnerId: 'bad id!' }), 401);
    expect((await runnerCall('/v1/runner/lease', {})).status).toBeLessThan(300);
  });

  it('binds the signature to the body', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const { runnerSignature } = await import('../src/middleware/runner-auth');
    const signature = await runnerSignature(
      'test-runner-secret',
      timestamp,
      'POST',
      '/v1/runner/lease',
      new TextEncoder().encode('{}'),
    );
    const tampered = await call('/v1/runner/lease', {
      method: 'POST',
      headers: { 'x-runner-id': 'r1', 'x-runner-timestamp': timestamp, 'x-runner-signature': signature },
      body: '{"wait_ms":1}',
    });
    await expectError(tampered, 401);
  });
});

describe('cross-cutting', () => {
  it('puts a request id on every response and answers CORS preflights', async () => {
    const ok = await call('/healthz');
    expect(ok.headers.get('x-request-id')).toMatch(/^req_/);
    const preflight = await call('/v1/jobs', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const withOrigin = await call('/healthz', { headers: { origin: 'https://app.example' } });
    expect(withOrigin.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });
});

describe('GET /v1/admin/queue', () => {
  it('reports queue depth over all shards, for the admin only', async () => {
    const key = await createKey();
    const before = await (await call('/v1/admin/queue', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json<{
      queued: number;
      shards: unknown[];
    }>();
    const created = await (await callJson('/v1/jobs', key.key, job)).json<{ id: string }>();
    const after = await (await call('/v1/admin/queue', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json<{
      queued: number;
      shards: unknown[];
    }>();
    expect(after.queued).toBe(before.queued + 1);
    expect(after.shards).toHaveLength(4);
    await expectError(await callJson('/v1/admin/queue', key.key), 401);
    await callJson(`/v1/jobs/${created.id}/cancel`, key.key, {});
  });
});

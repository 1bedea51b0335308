import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RunnerReplayGuard } from '../src/durable/runner-replay-guard';
import { hmacSha256, sha256Hex, toHex } from '../src/lib/crypto';
import {
  ADMIN_TOKEN,
  call,
  callJson,
  createKey,
  expectError,
  RUNNER_SECRET,
  runnerCall,
  signedRunnerRequest,
} from './helpers';

const job = { task: 'text2image', input: { prompt: 'a lighthouse' } };

interface ErrorBody {
  error: { code: string };
}

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
    for (const nonce of ['', 'abc', 'A'.repeat(32), '0'.repeat(31), '0'.repeat(33)]) {
      const error = await expectError(await runnerCall('/v1/runner/lease', {}, { nonce }), 401);
      expect(error.message).toContain('x-runner-nonce');
    }
    expect((await runnerCall('/v1/runner/lease', {})).status).toBeLessThan(300);
  });

  it('binds the signature to the body', async () => {
    const signed = await signedRunnerRequest('/v1/runner/lease', {});
    const tampered = await call('/v1/runner/lease', { method: 'POST', headers: signed.headers, body: '{"wait_ms":1}' });
    expect((await expectError(tampered, 401)).code).toBe('invalid_runner_signature');
  });

  it('refuses v1 signatures (they sign neither the runner id nor a nonce)', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const canonical = `${timestamp}\nPOST\n/v1/runner/lease\n${await sha256Hex('{}')}`;
    const v1 = `v1=${toHex(await hmacSha256(RUNNER_SECRET, canonical))}`;
    const signed = await signedRunnerRequest('/v1/runner/lease', {});
    const refused = await call('/v1/runner/lease', {
      method: 'POST',
      headers: { ...signed.headers, 'x-runner-signature': v1 },
      body: signed.body,
    });
    const error = await expectError(refused, 401);
    expect(error.code).toBe('invalid_runner_signature');
    expect(error.message).toContain('v2=');
  });

  it('serves a signed lease once: a replay, as sent or under another runner id, leases nothing', async () => {
    const key = await createKey();
    const ids: string[] = [];
    for (const prompt of ['first secret prompt', 'second secret prompt']) {
      ids.push((await (await callJson('/v1/jobs', key.key, { ...job, input: { prompt } })).json<{ id: string }>()).id);
    }
    const signed = await signedRunnerRequest('/v1/runner/lease', { wait_ms: 0 }, { runnerId: 'runner-a' });
    const send = (headers: Record<string, string>) =>
      call('/v1/runner/lease', { method: 'POST', headers, body: signed.body });
    const first = await send(signed.headers);
    expect(first.status).toBe(200);
    const leased = await first.json<{ job: { id: string } }>();

    const replayed = await expectError(await send(signed.headers), 401);
    expect(replayed.code).toBe('runner_request_replayed');
    const otherRunner = await expectError(await send({ ...signed.headers, 'x-runner-id': 'runner-b' }), 401);
    expect(otherRunner.code).toBe('invalid_runner_signature');

    // The other job was not handed to anyone: still queued, its prompt still unseen by any runner.
    const other = ids.find((id) => id !== leased.job.id)!;
    const state = await (await callJson(`/v1/jobs/${other}`, key.key)).json<{ status: string; attempts: number }>();
    expect(state).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('lets exactly one of many concurrent copies of a signed request through', async () => {
    const signed = await signedRunnerRequest('/v1/runner/lease', { wait_ms: 0 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('/v1/runner/lease', { method: 'POST', headers: signed.headers, body: signed.body }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    // One is served (a job left queued by an earlier test, or none: 200 or 204); the 19 copies are replays.
    expect(statuses.filter((status) => status === 200 || status === 204)).toHaveLength(1);
    const refused = await Promise.all(
      answers.filter((answer) => answer.status === 401).map((a) => a.json<ErrorBody>()),
    );
    expect(refused.map((body) => body.error.code)).toEqual(Array(19).fill('runner_request_replayed'));
  });

  it('remembers used nonces across a restart of the replay guard', async () => {
    const signed = await signedRunnerRequest('/v1/runner/lease', { wait_ms: 0 }, { runnerId: 'runner-restart' });
    const send = () => call('/v1/runner/lease', { method: 'POST', headers: signed.headers, body: signed.body });
    expect((await send()).status).toBe(204);
    const stub = () => env.RUNNER_REPLAY_GUARD.get(env.RUNNER_REPLAY_GUARD.idFromName('runner-restart'));
    const before = await runInDurableObject(stub(), (instance: RunnerReplayGuard) => instance);
    // Restart every object: in-memory state is gone, only what was committed to storage survives. (A stub is unusable
    // after its object was reset, hence a new one each time.)
    await abortAllDurableObjects();
    expect(await runInDurableObject(stub(), (instance: RunnerReplayGuard) => instance === before)).toBe(false);
    expect((await expectError(await send(), 401)).code).toBe('runner_request_replayed');
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

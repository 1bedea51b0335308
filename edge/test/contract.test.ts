import { env, runInDurableObject } from 'cloudflare:test';
import { GENERATION_LIMITS } from '@kandinsky/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiKeyObject } from '../src/durable/api-key-object';
import type { PublicJob } from '../src/jobs/present-job';
import { sha256Hex, toBase64 } from '../src/lib/crypto';
import { lease } from './fake-runner';
import { callJson, createKey, expectError, tinyPng } from './helpers';

/**
 * The edge side of the one request contract (issue "One contract from request to pixels"): each case is a request
 * that used to be accepted and then failed on a runner, or answered with the wrong status or code.
 */
describe('the edge refuses up front what a runner cannot do', () => {
  it('prior_steps 1 is a 400 naming prior_steps on both create routes (the UnCLIP schedule needs two steps)', async () => {
    const key = await createKey();
    const job = await expectError(
      await callJson('/v1/jobs', key.key, { task: 'text2image', input: { prompt: 'x', prior_steps: 1 } }),
      400,
    );
    expect(job).toMatchObject({ param: 'input.prior_steps', code: 'invalid_value' });
    const openai = await expectError(
      await callJson('/v1/images/generations', key.key, { prompt: 'x', prior_steps: 1 }),
      400,
    );
    expect(openai).toMatchObject({ param: 'prior_steps', code: 'invalid_value' });
  });

  it('img2img whose steps x strength leaves no denoising step is a 400 naming strength', async () => {
    const key = await createKey();
    const image = toBase64(await tinyPng(64, 64));
    const error = await expectError(
      await callJson('/v1/jobs', key.key, { task: 'img2img', input: { prompt: 'x', image, steps: 2, strength: 0.3 } }),
      400,
    );
    expect(error.param).toBe('input.strength');
    expect(error.message).toMatch(/no denoising step/);
  });

  it('holds the runner-side limits: 1024 px, 150 steps', async () => {
    const key = await createKey();
    const body = (input: Record<string, unknown>) => ({ task: 'text2image', input: { prompt: 'x', ...input } });
    expect((await expectError(await callJson('/v1/jobs', key.key, body({ width: 1025 })), 400)).param).toBe(
      'input.width',
    );
    expect((await expectError(await callJson('/v1/jobs', key.key, body({ steps: 151 })), 400)).param).toBe(
      'input.steps',
    );
    const largest = await callJson(
      '/v1/jobs',
      key.key,
      body({ size: `${GENERATION_LIMITS.maxSide}x${GENERATION_LIMITS.maxSide}`, steps: GENERATION_LIMITS.maxSteps }),
    );
    expect(largest.status).toBe(202);
    await callJson(`/v1/jobs/${(await largest.json<PublicJob>()).id}/cancel`, key.key, {});
  });

  it('accepts the largest seed with n = 2 and hands the runner that seed', async () => {
    const key = await createKey();
    const created = await callJson('/v1/jobs', key.key, {
      task: 'text2image',
      input: { prompt: 'x', size: '64x64', steps: 2, prior_steps: 2, n: 2, seed: 4294967295 },
    });
    expect(created.status).toBe(202);
    const leased = (await lease())!;
    expect(leased.job.params).toMatchObject({ seed: 4294967295, n: 2, width: 64, height: 64 });
    await callJson(`/v1/jobs/${leased.job.id}/cancel`, key.key, {});
  });

  it('a value of the wrong JSON type is invalid_type, an absent one missing_required_parameter', async () => {
    const key = await createKey();
    const openai = (body: unknown) => callJson('/v1/images/generations', key.key, body);
    expect(await expectError(await openai({ prompt: 123 }), 400)).toMatchObject({
      param: 'prompt',
      code: 'invalid_type',
    });
    expect(await expectError(await openai({ prompt: 'x', n: '1' }), 400)).toMatchObject({
      param: 'n',
      code: 'invalid_type',
    });
    expect(await expectError(await openai({ prompt: 'x', size: 64 }), 400)).toMatchObject({
      param: 'size',
      code: 'invalid_type',
    });
    expect(await expectError(await openai({ n: 1 }), 400)).toMatchObject({
      param: 'prompt',
      code: 'missing_required_parameter',
    });
  });
});

describe('idempotency under concurrency', () => {
  it('20 concurrent creates with one Idempotency-Key and different bodies: one job, 19 x 409, never 429', async () => {
    const key = await createKey({ max_running_jobs: 4 });
    const headers = { 'idempotency-key': 'burst-different-bodies' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        callJson('/v1/jobs', key.key, { task: 'text2image', input: { prompt: `prompt ${i}` } }, { headers }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((await expectError(response, 409)).code).toBe('idempotency_key_reused');
    }
    const created = await responses.find((response) => response.status === 202)!.json<PublicJob>();
    await callJson(`/v1/jobs/${created.id}/cancel`, key.key, {});
  });
});

describe('running-job slots', () => {
  it('a freed slot is in storage when the release returns (no timer in between)', async () => {
    const key = await createKey({ max_running_jobs: 2 });
    const created = await (
      await callJson('/v1/jobs', key.key, { task: 'text2image', input: { prompt: 'x' } })
    ).json<PublicJob>();
    const stub = env.API_KEYS.get(env.API_KEYS.idFromName(await sha256Hex(key.key)));
    // Let the admission batch reach storage, then release and read storage straight away.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stored = () =>
      runInDurableObject(
        stub,
        (_object: ApiKeyObject, state) =>
          state.storage.sql
            .exec<{ n: number }>('SELECT COUNT(*) AS n FROM active_jobs WHERE job_id = ?', created.id)
            .one().n,
      );
    expect(await stored()).toBe(1);
    await stub.releaseJob(created.id);
    expect(await stored()).toBe(0);
    await callJson(`/v1/jobs/${created.id}/cancel`, key.key, {});
  });
});

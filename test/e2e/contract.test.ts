import { PutObjectCommand } from '@aws-sdk/client-s3';
import { imageSeed } from '@kandinsky/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import { requestArbitrary } from '../../protocol/test/request-arbitrary.js';
import { Api, fetchPng, type PublicJob } from '../support/api.js';
import { badImage, dataUrl, goodImage, pngBytes } from '../support/sample-images.js';
import { startTestStack } from '../support/stack-fixture.js';

/**
 * One contract from request to pixels, end to end: the edge in workerd (wrangler dev), a runner process on the small
 * random-weight Kandinsky model batching up to four jobs, a SigV4 S3 server. Whatever the edge accepts, the runner
 * does; whatever it cannot do, the edge refuses up front with a 400 naming the parameter.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: Api;

beforeAll(async () => {
  // No runner yet: the batch case queues its jobs first, then starts the runner every test here uses.
  stack = await startTestStack({ runners: 0, runnerEnv: { RUNNER_MAX_BATCH: '4' } });
  api = new Api(stack.edgeUrl, await stack.createKey({ requests_per_minute: 1_000_000, max_running_jobs: 1000 }));
});
afterAll(async () => stack?.cleanup());

/** Generated requests per run; `CONTRACT_RUNS` overrides (the seed is printed, `CONTRACT_SEED` replays it). */
const RUNS = Number(process.env.CONTRACT_RUNS ?? 100);
const SEED = Number(process.env.CONTRACT_SEED ?? Date.now() % 2 ** 31);

/** A refusal's `param`: a top-level field, or a path into `input` (`input.inputs.1.image`). */
const PARAM = /^(task|webhook_url|user|input(\.[A-Za-z0-9_]+)*|[a-z_]+)$/;

function expectSucceeded(job: PublicJob): void {
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  const input = job.input as Record<string, number>;
  expect(job.output!.images.map((image) => [image.width, image.height, image.seed])).toEqual(
    Array.from({ length: input.n }, (_, i) => [input.width, input.height, imageSeed(input.seed, i)]),
  );
}

describe('hand-picked cases', () => {
  it('RUNNER_MAX_BATCH=4: a poisoned job among four fails alone and cleanly; the others make images', async () => {
    // The stack has no runner yet: everything is queued before one starts, so it sees all four at once.
    const small = { size: '64x64', steps: 2, prior_steps: 2 };
    const good = [];
    for (const prompt of ['a cat', 'a dog']) good.push(await api.createJob('text2image', { prompt, ...small }));
    // "" and no negative prompt may not share a pass (the prior runs an extra row for ""); both must succeed.
    good.push(await api.createJob('text2image', { prompt: 'a bird', negative_prompt: '', ...small }));
    const poisoned = await api.createJob('img2img', {
      prompt: 'x',
      image: dataUrl(pngBytes(64, 64)),
      strength: 1,
      ...small,
    });
    // The edge checked the image; break it in the bucket, as a decoder-level surprise would.
    const key = poisoned.input.image as string;
    const s3 = createS3Client({ ...stack.s3, region: 'us-east-1' });
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.s3.bucket,
        Key: key,
        Body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
      }),
    );
    s3.destroy();
    await stack.addRunner();
    for (const created of good) {
      const job = await api.waitForJob(created.id);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      await fetchPng(job.output!.images[0].url, 64, 64);
    }
    const failed = await api.waitForJob(poisoned.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'invalid_image', type: 'invalid_request_error' });
    expect(failed.attempts).toBe(1);
  });

  it('the largest seed with n = 2: both images, seeds 4294967295 and 0', async () => {
    const created = await api.createJob('text2image', {
      prompt: 'x',
      size: '64x64',
      steps: 2,
      prior_steps: 2,
      n: 2,
      seed: 4294967295,
    });
    const job = await api.waitForJob(created.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.output!.images.map((image) => image.seed)).toEqual([4294967295, 0]);
    for (const image of job.output!.images) await fetchPng(image.url, 64, 64);
  });
});

/**
 * The OpenAI-compatible request for a generated native one, or null when its task has no such route (fuse): text2image
 * as JSON to generations; img2img (one image) and inpaint (image and mask; OpenAI's alpha convention is the route's
 * own, so `mask_source: "alpha"` is left out and any other value sent as the unknown field it is there) as multipart
 * to edits; variation as multipart to variations. Data-URL images become file parts, anything else a text field (which
 * the route refuses by name); other values are sent as their text, as a form carries them.
 */
function openAiForm(request: {
  task: string;
  input: Record<string, unknown>;
}): { path: string; headers: Record<string, string>; body: string | FormData } | null {
  if (request.task === 'text2image') {
    return {
      path: '/v1/images/generations',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request.input),
    };
  }
  const path = { img2img: '/v1/images/edits', inpaint: '/v1/images/edits', variation: '/v1/images/variations' }[
    request.task
  ];
  if (!path) return null;
  const form = new FormData();
  for (const [name, value] of Object.entries(request.input)) {
    if (name === 'mask_source' && value === 'alpha') continue;
    const dataUrl = typeof value === 'string' ? /^data:[^;]+;base64,(.*)$/s.exec(value) : null;
    if ((name === 'image' || name === 'mask') && dataUrl) {
      form.append(name, new Blob([Buffer.from(dataUrl[1], 'base64')]), `${name}.bin`);
    } else {
      form.append(name, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
    }
  }
  return { path, headers: {}, body: form };
}

describe('generated requests across the whole contract', () => {
  it('each is refused up front with a 400 naming the parameter, or its job succeeds; never a server error', async () => {
    if (stack.runners.length === 0) await stack.addRunner();
    const counts = { generated: 0, refused: 0, succeeded: 0, viaOpenAi: 0 };
    // Mostly usable images, some that the edge must refuse (garbage, truncated, short IDAT, too small).
    const images = fc.oneof({ weight: 6, arbitrary: goodImage }, { weight: 1, arbitrary: badImage });
    await fc.assert(
      fc.asyncProperty(requestArbitrary({ image: images, cheap: true }), fc.boolean(), async (request, openAi) => {
        counts.generated++;
        // Half the time a request goes through the OpenAI-compatible route of its task when it has one (text2image:
        // generations; img2img and inpaint: edits; variation: variations): same contract, fields at the top level.
        const openAiRequest = openAi ? openAiForm(request) : null;
        const viaOpenAi = openAiRequest !== null;
        if (process.env.CONTRACT_VERBOSE === '1') {
          const { image: _i, mask: _m, inputs: _f, ...shown } = request.input as Record<string, unknown>;
          console.log('sending', viaOpenAi ? 'openai' : 'jobs', request.task, JSON.stringify(shown).slice(0, 300));
        }
        const t0 = Date.now();
        const res = openAiRequest
          ? await fetch(`${stack.edgeUrl}${openAiRequest.path}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${api.apiKey}`, ...openAiRequest.headers },
              body: openAiRequest.body,
            })
          : await api.request('POST', '/v1/jobs', request);
        const body = (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> };
        if (res.status >= 400) {
          expect(res.status, JSON.stringify(body)).toBe(400);
          expect(body.error!.type).toBe('invalid_request_error');
          expect(String(body.error!.param), JSON.stringify(body)).toMatch(PARAM);
          counts.refused++;
          return;
        }
        if (viaOpenAi) {
          expect(res.status).toBe(200);
          expect((body.data as unknown[]).length).toBe((request.input.n as number | undefined) ?? 1);
          counts.viaOpenAi++;
        } else {
          expectSucceeded(await api.waitForJob((body as unknown as PublicJob).id));
        }
        counts.succeeded++;
        if (process.env.CONTRACT_VERBOSE === '1') {
          const { image: _i, mask: _m, inputs: _f, ...shown } = request.input as Record<string, unknown>;
          console.log(`${Date.now() - t0} ms`, request.task, JSON.stringify(shown).slice(0, 300));
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(JSON.stringify({ test: 'contract-property', seed: SEED, ...counts }));
    expect(counts.refused + counts.succeeded).toBe(counts.generated);
    expect(counts.succeeded).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  }, 900_000);
});

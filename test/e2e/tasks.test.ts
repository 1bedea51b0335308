import OpenAI from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import { uploadModelFolder } from '../../gpu-runner/src/weights/model-store-upload.js';
import { Api, fetchPng, pngBase64, readSse } from '../support/api.js';
import { startTestStack } from '../support/stack-fixture.js';

/**
 * The public API end to end: the real edge under wrangler dev, a real runner process on the (random-weight, unless
 * KANDINSKY_WEIGHTS is set) Kandinsky model, a SigV4-verifying S3 server. Small sizes and few steps keep it fast.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: Api;
const SMALL = { size: '64x64', steps: 3, prior_steps: 2 };

beforeAll(async () => {
  stack = await startTestStack();
  api = new Api(stack.edgeUrl, stack.apiKey);
});
afterAll(async () => stack?.cleanup());

describe('the five tasks through the public API (raw HTTP)', () => {
  const image = pngBase64(64, 64);
  const cases: [string, Record<string, unknown>][] = [
    ['text2image', { prompt: 'a red cat on a sofa', ...SMALL }],
    ['variation', { image, ...SMALL }],
    [
      'fuse',
      {
        inputs: [
          { type: 'text', text: 'a castle', weight: 0.6 },
          { type: 'image', image, weight: 0.4 },
        ],
        ...SMALL,
      },
    ],
    ['img2img', { prompt: 'a watercolor', image, strength: 0.5, ...SMALL }],
    ['inpaint', { prompt: 'a hat', image, mask: pngBase64(64, 64, 'mask'), ...SMALL }],
  ];
  for (const [task, input] of cases) {
    it(`${task}: produces a decodable PNG of the requested size behind a signed URL`, async () => {
      const created = await api.createJob(task, { ...input, n: 1, seed: 11 });
      const job = await api.waitForJob(created.id);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.output!.images).toHaveLength(1);
      const [result] = job.output!.images;
      expect(result).toMatchObject({ width: 64, height: 64, content_type: 'image/png', seed: 11 });
      const png = await fetchPng(result.url, 64, 64);
      expect(png.data.length).toBe(64 * 64 * 4);
      // The URL is signed: changing the signature is refused by the storage server.
      const tampered = result.url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
      );
      expect((await fetch(tampered)).status).toBe(403);
      // Without its signature the URL is refused too, and so is an unsigned listing of the bucket (private bucket).
      const unsigned = new URL(result.url);
      for (const name of [...unsigned.searchParams.keys()])
        if (name.startsWith('X-Amz-')) unsigned.searchParams.delete(name);
      expect((await fetch(unsigned)).status).toBe(403);
      expect((await fetch(`${unsigned.origin}/${stack.s3.bucket}`)).status).toBe(403);
    });
  }

  it('n=2 gives two images with consecutive seeds', async () => {
    const job = await api.waitForJob(
      (await api.createJob('text2image', { prompt: 'two dogs', n: 2, seed: 100, ...SMALL })).id,
    );
    expect(job.status).toBe('succeeded');
    expect(job.output!.images.map((i) => i.seed)).toEqual([100, 101]);
    for (const image of job.output!.images) await fetchPng(image.url, 64, 64);
  });
});

describe('the official openai client', () => {
  it('images.generate returns a URL to a 64x64 PNG, and b64_json works too', async () => {
    const client = new OpenAI({
      apiKey: stack.apiKey,
      baseURL: `${stack.edgeUrl}/v1`,
      maxRetries: 0,
      timeout: 120_000,
    });
    const extra = { steps: 3, prior_steps: 2 } as Record<string, unknown>;
    const byUrl = await client.images.generate({
      prompt: 'a lighthouse at dusk',
      size: '64x64' as never,
      n: 1,
      ...extra,
    });
    expect(byUrl.data).toHaveLength(1);
    await fetchPng(byUrl.data![0].url!, 64, 64);
    const inline = await client.images.generate({
      prompt: 'a lighthouse',
      size: '64x64' as never,
      response_format: 'b64_json',
      ...extra,
    });
    const png = PNG.sync.read(Buffer.from(inline.data![0].b64_json!, 'base64'));
    expect([png.width, png.height]).toEqual([64, 64]);
  });
});

describe('progress and cancel', () => {
  it('SSE events arrive in order: versions increase, status moves forward, steps never go back, done last', async () => {
    const created = await api.createJob('text2image', { prompt: 'a forest', size: '64x64', steps: 12, prior_steps: 4 });
    const events = await readSse(`${stack.edgeUrl}/v1/jobs/${created.id}/events`, stack.apiKey);
    const jobs = events
      .filter((e) => e.event === 'job')
      .map((e) => ({ version: Number(e.id), job: JSON.parse(e.data) }));
    expect(events.at(-1)!.event).toBe('done');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ id: created.id, status: 'succeeded' });
    const versions = jobs.map((j) => j.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    const rank = { queued: 0, running: 1, succeeded: 2 } as Record<string, number>;
    const ranks = jobs.map((j) => rank[j.job.status]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(jobs.at(-1)!.job.output.images).toHaveLength(1);
    // Progress within a stage only moves forward, and at least one step was reported.
    const progress = jobs.map((j) => j.job.progress).filter(Boolean) as { stage: string; step: number }[];
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) {
      if (progress[i].stage === progress[i - 1].stage)
        expect(progress[i].step).toBeGreaterThanOrEqual(progress[i - 1].step);
    }
  });

  it('cancel stops a running job: status cancelled, no result images', async () => {
    const created = await api.createJob('text2image', {
      prompt: 'a very long render',
      size: '64x64',
      steps: 150,
      prior_steps: 2,
    });
    await api.waitUntil(created.id, (j) => j.status === 'running' && j.progress !== null);
    const res = await api.request('POST', `/v1/jobs/${created.id}/cancel`, {});
    expect(res.status).toBe(200);
    const job = await api.waitForJob(created.id);
    expect(job.status).toBe('cancelled');
    expect(job.output).toBeNull();
    // The runner noticed (heartbeat answered cancel) and reported it; its metrics say so.
    const runner = stack.runners[0];
    await expect
      .poll(async () => (await (await fetch(`${runner.healthUrl}/metrics`)).text()).includes('outcome="cancelled"'), {
        timeout: 15_000,
      })
      .toBe(true);
  });
});

describe('model from an S3 model store', () => {
  it('a runner started with KANDINSKY_WEIGHTS=s3://… mirrors the model, verifies it and serves jobs', async () => {
    const s3 = createS3Client({ ...stack.s3, region: 'us-east-1' });
    await uploadModelFolder(stack.model.weights, { s3, bucket: stack.s3.bucket, prefix: 'models/random' });
    s3.destroy();
    // Only the S3-loaded runner is left to take the job.
    for (const runner of stack.runners.splice(0)) await runner.stop('SIGTERM');
    const fromStore = await stack.addRunner({ KANDINSKY_WEIGHTS: `s3://${stack.s3.bucket}/models/random` });
    const job = await api.waitForJob((await api.createJob('text2image', { prompt: 'from the store', ...SMALL })).id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    await fetchPng(job.output!.images[0].url, 64, 64);
    const ready = (await (await fetch(`${fromStore.healthUrl}/readyz`)).json()) as { model: string };
    expect(ready.model).toMatch(/RANDOM weights/);
  });
});

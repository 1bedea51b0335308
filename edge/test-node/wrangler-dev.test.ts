import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalGateway, startWranglerDev } from '../bench/local-gateway';
import { runnerSignature } from '../src/middleware/runner-auth';
import { BucketClient } from '../src/storage/bucket-client';

const ADMIN_TOKEN = 'node-e2e-admin';
const RUNNER_SECRET = 'node-e2e-runner';
const BUCKET = 'kd-node-e2e';

let gateway: LocalGateway;
let s3: S3rver;
let s3Dir: string;
let store: BucketClient;

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'kd-node-s3-'));
  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await s3.run();
  const settings = {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  };
  store = new BucketClient(settings);
  gateway = await startWranglerDev({
    S3_ENDPOINT: settings.endpoint,
    S3_BUCKET: BUCKET,
    ADMIN_TOKEN,
    RUNNER_SECRET,
  });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await s3?.close();
  rmSync(s3Dir, { recursive: true, force: true });
});

/** A signed runner call over real HTTP. */
async function runner(path: string, body: unknown): Promise<Response> {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = await runnerSignature(RUNNER_SECRET, {
    timestamp,
    nonce,
    runnerId: 'node-e2e',
    method: 'POST',
    path,
    body: new TextEncoder().encode(raw),
  });
  return fetch(`${gateway.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-runner-id': 'node-e2e',
      'x-runner-timestamp': timestamp,
      'x-runner-nonce': nonce,
      'x-runner-signature': signature,
    },
    body: raw,
  });
}

/** The smallest valid PNG: 1x1 grey (bytes precomputed; the runner side is not under test here). */
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

describe('wrangler dev (the deployed configuration, over real HTTP)', () => {
  it('serves the official openai client an image URL produced by a runner', async () => {
    const keyResponse = await fetch(`${gateway.baseUrl}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'node-e2e' }),
    });
    expect(keyResponse.status).toBe(201);
    const { key } = (await keyResponse.json()) as { key: string };
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.baseUrl}/v1`, maxRetries: 0 });

    const generation = client.images.generate({ prompt: 'a paper boat', size: '512x512', response_format: 'url' });
    const leaseResponse = await runner('/v1/runner/lease', { wait_ms: 20_000 });
    expect(leaseResponse.status).toBe(200);
    const leased = (await leaseResponse.json()) as {
      job: { id: string; output: { prefix: string }; params: { seed: number } };
      lease: { id: string };
    };
    const imageKey = `${leased.job.output.prefix}0.png`;
    await store.put(imageKey, PNG, 'image/png');
    const done = await runner(`/v1/runner/jobs/${leased.job.id}/complete`, {
      lease_id: leased.lease.id,
      result: {
        images: [
          {
            key: imageKey,
            width: 1,
            height: 1,
            content_type: 'image/png',
            seed: leased.job.params.seed,
            bytes: PNG.byteLength,
          },
        ],
      },
    });
    expect(done.status).toBe(200);

    const result = await generation;
    const url = result.data?.[0]?.url;
    expect(url).toBeDefined();
    const image = await fetch(url!);
    expect(image.status).toBe(200);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(PNG);
  }, 60_000);
});

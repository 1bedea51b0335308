import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModelFolder } from '../../gpu-runner/src/service/model-source.js';
import { MissingObjectError, ObjectStore, StorageError } from '../../gpu-runner/src/service/object-store.js';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import { type S3Target, s3Target } from '../support/s3-target.js';

/**
 * The storage contract the runner relies on, run against whatever S3 endpoint the environment names (radosgw in CI,
 * s3rver otherwise): objects round-trip byte for byte with their content type and metadata, overwrites replace, a
 * missing key is told apart from an outage, outages are retried and then reported, and a model store can be mirrored.
 */
let target: S3Target;
let s3: S3Client;
let store: ObjectStore;
const run = `contract-${Date.now()}-${randomBytes(3).toString('hex')}`;
const written: string[] = [];

beforeAll(async () => {
  target = await s3Target();
  s3 = createS3Client(target);
  store = new ObjectStore(s3, { bucket: target.bucket, attempts: 3, retryBaseMs: 20 });
});

afterAll(async () => {
  for (const key of written)
    await s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key })).catch(() => undefined);
  s3?.destroy();
  await target?.close();
});

const key = (name: string) => {
  const k = `${run}/${name}`;
  written.push(k);
  return k;
};

describe('storage contract', () => {
  it('round-trips bytes, content type and user metadata (percent-encoded unicode included)', async () => {
    const body = new Uint8Array(randomBytes(70_000));
    const k = key('results/0.png');
    const prompt = encodeURIComponent('кот в шляпе, 猫 — "quoted"');
    await store.put(k, body, 'image/png', { 'job-id': 'job_1', seed: '42', prompt });
    const back = await store.get(k);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: k }));
    expect(head.ContentType).toBe('image/png');
    expect(head.ContentLength).toBe(body.byteLength);
    expect(head.Metadata).toMatchObject({ 'job-id': 'job_1', seed: '42', prompt });
    expect(decodeURIComponent(head.Metadata!.prompt)).toBe('кот в шляпе, 猫 — "quoted"');
  });

  it('an overwrite replaces the object (a retried job leaves one object per key)', async () => {
    const k = key('results/overwrite.png');
    await store.put(k, new Uint8Array([1, 2, 3]), 'image/png', {});
    await store.put(k, new Uint8Array([4, 5]), 'image/png', {});
    expect([...(await store.get(k))]).toEqual([4, 5]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: k }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([k]);
  });

  it('stores a multi-megabyte object intact', async () => {
    const body = new Uint8Array(randomBytes(6 * 1024 * 1024));
    const k = key('big.bin');
    await store.put(k, body, 'application/octet-stream', {});
    expect(Buffer.compare(Buffer.from(await store.get(k)), Buffer.from(body))).toBe(0);
  });

  it('tells a missing key (not retried) apart from an outage', async () => {
    await expect(store.get(`${run}/does-not-exist.png`)).rejects.toBeInstanceOf(MissingObjectError);
  });

  it('refuses wrong credentials', async () => {
    const bad = createS3Client({ ...target, secretAccessKey: `${target.secretAccessKey}x` });
    const badStore = new ObjectStore(bad, { bucket: target.bucket, attempts: 1, retryBaseMs: 1 });
    await expect(badStore.put(`${run}/forbidden.png`, new Uint8Array([1]), 'image/png', {})).rejects.toBeInstanceOf(
      StorageError,
    );
    bad.destroy();
  });

  it('retries an unreachable endpoint with backoff, then reports a StorageError', async () => {
    // A port that accepts nothing: every attempt fails fast with ECONNREFUSED.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const down = createS3Client({ ...target, endpoint: `http://127.0.0.1:${port}` });
    const retries: number[] = [];
    const downStore = new ObjectStore(down, {
      bucket: target.bucket,
      attempts: 4,
      retryBaseMs: 50,
      onRetry: (_op, _k, _e, n) => retries.push(n),
    });
    const t0 = Date.now();
    await expect(downStore.put('x.png', new Uint8Array([1]), 'image/png', {})).rejects.toThrow(/after 4 attempts/);
    expect(retries).toEqual([1, 2, 3]);
    // Waits of ~50, ~100, ~200 ms (+-25% jitter): at least 262 ms in all.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(262);
    down.destroy();
  });

  it('mirrors a model store (model-store.json listing) and refuses a corrupt object', async () => {
    const prefix = `${run}/model`;
    const shard = new Uint8Array(randomBytes(4096));
    const manifestBody = JSON.stringify({ format: 'kandinsky-tfjs-component', files: {} });
    const files: Record<string, Uint8Array> = {
      'movq/decoder/group1-shard1of1.bin': shard,
      'movq/component.json': new TextEncoder().encode(manifestBody),
    };
    const listing = {
      format: 'kandinsky-model-store',
      version: 1,
      files: {} as Record<string, { bytes: number; sha256: string }>,
    };
    for (const [rel, body] of Object.entries(files)) {
      await s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: key(`model/${rel}`),
          Body: body,
          ContentLength: body.byteLength,
        }),
      );
      listing.files[rel] = { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
    }
    const listingBody = new TextEncoder().encode(JSON.stringify(listing));
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key('model/model-store.json'),
        Body: listingBody,
        ContentLength: listingBody.byteLength,
      }),
    );
    const cache = await mkdtemp(join(tmpdir(), 'model-cache-'));
    try {
      const dir = await resolveModelFolder(`s3://${target.bucket}/${prefix}`, { cacheDir: cache, s3 });
      expect(Buffer.compare(await readFile(join(dir, 'movq/decoder/group1-shard1of1.bin')), Buffer.from(shard))).toBe(
        0,
      );
      // Corrupt the stored shard: a fresh mirror must refuse it.
      const damaged = new Uint8Array(shard);
      damaged[0] ^= 0xff;
      await s3.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: `${prefix}/movq/decoder/group1-shard1of1.bin`,
          Body: damaged,
          ContentLength: damaged.byteLength,
        }),
      );
      await rm(cache, { recursive: true, force: true });
      await expect(resolveModelFolder(`s3://${target.bucket}/${prefix}`, { cacheDir: cache, s3 })).rejects.toThrow(
        /expected 4096 bytes/,
      );
      await expect(resolveModelFolder(`s3://${target.bucket}/${run}/nothing`, { cacheDir: cache, s3 })).rejects.toThrow(
        /no model-store.json/,
      );
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});

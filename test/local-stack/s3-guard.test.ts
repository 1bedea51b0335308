import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import { s3Credentials } from '../../infra/local/s3-guard.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3-server.js';

// The local stack's S3 server must be as private as a real bucket: signed URLs protect nothing if the same object
// can be fetched without a signature.
let s3: LocalS3;
let dir: string;
let signer: AwsClient;
const KEY = 'results/key_a/job_b/0.png';
const BYTES = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-s3-guard-'));
  s3 = await startLocalS3({ port: 0, directory: dir, bucket: 'private' });
  const client = createS3Client({ ...s3, region: 'us-east-1' });
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: KEY, Body: BYTES, ContentType: 'image/png' }));
  client.destroy();
  signer = new AwsClient({ ...s3, region: 'us-east-1', service: 's3' });
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const objectUrl = () => `${s3.endpoint}/${s3.bucket}/${KEY}`;

/** A presigned GET URL like the edge makes (aws4fetch, query signing), optionally dated in the past. */
async function presign(expiresSeconds: number, signedAt?: Date): Promise<string> {
  const url = new URL(objectUrl());
  url.searchParams.set('X-Amz-Expires', String(expiresSeconds));
  const datetime = signedAt?.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const signed = await signer.sign(url.toString(), { method: 'GET', aws: { signQuery: true, datetime } });
  return signed.url;
}

async function expectAccessDenied(res: Response): Promise<void> {
  expect(res.status).toBe(403);
  const body = await res.text();
  expect(body).toContain('<Code>AccessDenied</Code>');
}

describe('the local S3 server refuses requests that are not SigV4-signed', () => {
  it('a valid presigned GET and a header-signed GetObject are served', async () => {
    const res = await fetch(await presign(60));
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES);
    const client = createS3Client({ ...s3, region: 'us-east-1' });
    const out = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: KEY }));
    expect(await out.Body!.transformToByteArray()).toEqual(BYTES);
    client.destroy();
  });

  it('an unsigned GET of a result is refused with 403 AccessDenied', async () => {
    await expectAccessDenied(await fetch(objectUrl()));
  });

  it('a presigned URL with its signature parameters stripped is refused', async () => {
    const url = new URL(await presign(60));
    const withoutSignature = new URL(url);
    withoutSignature.searchParams.delete('X-Amz-Signature');
    await expectAccessDenied(await fetch(withoutSignature));
    const bare = new URL(url);
    for (const name of [...url.searchParams.keys()]) if (name.startsWith('X-Amz-')) bare.searchParams.delete(name);
    await expectAccessDenied(await fetch(bare));
  });

  it('unsigned bucket and service listings are refused', async () => {
    await expectAccessDenied(await fetch(`${s3.endpoint}/${s3.bucket}`));
    await expectAccessDenied(await fetch(`${s3.endpoint}/${s3.bucket}?list-type=2`));
    await expectAccessDenied(await fetch(`${s3.endpoint}/`));
  });

  it('an unsigned upload is refused and stores nothing', async () => {
    const put = await fetch(`${s3.endpoint}/${s3.bucket}/uploaded.txt`, { method: 'PUT', body: 'hello' });
    expect(put.status).toBe(403);
    const signedGet = await signer.sign(`${s3.endpoint}/${s3.bucket}/uploaded.txt`, {
      method: 'GET',
      aws: { signQuery: true },
    });
    expect((await fetch(signedGet.url)).status).toBe(404);
  });

  it('an expired presigned URL is refused', async () => {
    const url = await presign(60, new Date(Date.now() - 120_000));
    await expectAccessDenied(await fetch(url));
  });

  it('a tampered signature and a legacy SigV2 header are refused', async () => {
    const url = await presign(60);
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    expect((await fetch(tampered)).status).toBe(403);
    await expectAccessDenied(
      await fetch(objectUrl(), { headers: { authorization: 'AWS S3RVER:bm90LWEtc2lnbmF0dXJl' } }),
    );
  });
});

describe('s3Credentials', () => {
  it('tells SigV4 header and query signatures, preflights and everything else apart', () => {
    expect(s3Credentials('GET', '/b/k', 'AWS4-HMAC-SHA256 Credential=x')).toBe('sigv4-header');
    expect(s3Credentials('GET', '/b/k', 'aws4-hmac-sha256 Credential=x')).toBe('sigv4-header');
    expect(s3Credentials('GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab', undefined)).toBe(
      'sigv4-query',
    );
    expect(s3Credentials('OPTIONS', '/b/k', undefined)).toBe('preflight');
    expect(s3Credentials('GET', '/b/k', undefined)).toBe('none');
    expect(s3Credentials('GET', '/b/k', 'Bearer x')).toBe('none');
    expect(s3Credentials('GET', '/b/k', 'AWS S3RVER:sig')).toBe('none');
    expect(s3Credentials('GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256', undefined)).toBe('none');
    expect(s3Credentials('GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=', undefined)).toBe('none');
    expect(s3Credentials('GET', '/b/k?Signature=x&AWSAccessKeyId=S3RVER&Expires=9', undefined)).toBe('none');
  });
});

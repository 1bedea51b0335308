/// <reference path="../../../types/s3rver.d.ts" />
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { AwsClient } from 'aws4fetch';

/** A local S3-compatible server (verifies SigV4, like the real thing) with one bucket, plus a client for it. */
export interface TestBucket {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Starts @20minutes/s3rver on 127.0.0.1 (random port) with `bucket`, storing objects in a fresh temp folder. */
export async function startTestBucket(bucket: string): Promise<TestBucket> {
  const directory = mkdtempSync(join(tmpdir(), 'kd-browser-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new AwsClient({
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    service: 's3',
  });
  const url = (key: string) => `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    endpoint,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async put(key, body, contentType) {
      const response = await client.fetch(url(key), {
        method: 'PUT',
        body: body as Uint8Array<ArrayBuffer>,
        headers: { 'content-type': contentType },
      });
      if (!response.ok) throw new Error(`S3 PUT ${key}: ${response.status} ${await response.text()}`);
    },
    async get(key) {
      const response = await client.fetch(url(key));
      if (!response.ok) throw new Error(`S3 GET ${key}: ${response.status} ${await response.text()}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

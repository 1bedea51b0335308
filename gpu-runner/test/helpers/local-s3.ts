import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/service/s3-client.js';

/** An in-process S3 (s3rver) on a free port with one bucket, and a client signed for it. */
export interface LocalS3 {
  s3: S3Client;
  /** Destroys the client and stops the server. */
  close(): Promise<void>;
}

/**
 * Starts s3rver storing under `<work>/s3` with `bucket` created, and returns a client for it. Tests of the model
 * store run against this rather than a mock so the real SDK requests (SigV4, multipart) are exercised.
 */
export async function startLocalS3(work: string, bucket: string): Promise<LocalS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(work, 's3'),
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  // s3rver's fixed credentials; it verifies SigV4 signatures against them.
  const s3 = createS3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  return {
    s3,
    async close() {
      s3.destroy();
      await server.close();
    },
  };
}

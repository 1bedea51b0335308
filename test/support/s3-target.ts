import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import { startLocalS3 } from '../../infra/local/s3-server.js';

/** The S3 endpoint a storage test runs against. */
export interface S3Target {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** What it is, for test names and logs. */
  label: string;
  close(): Promise<void>;
}

/**
 * The endpoint given by STORAGE_TEST_ENDPOINT (+ _BUCKET, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY; the bucket is
 * created first when STORAGE_TEST_CREATE_BUCKET=1), e.g. a Ceph radosgw started by .ci/run; otherwise a local SigV4-verifying s3rver on a free port with a temporary directory.
 */
export async function s3Target(): Promise<S3Target> {
  const env = process.env;
  if (env.STORAGE_TEST_ENDPOINT) {
    const missing = ['STORAGE_TEST_BUCKET', 'STORAGE_TEST_ACCESS_KEY_ID', 'STORAGE_TEST_SECRET_ACCESS_KEY'].filter(
      (n) => !env[n],
    );
    if (missing.length) throw new Error(`STORAGE_TEST_ENDPOINT is set but ${missing.join(', ')} are not`);
    const conn = {
      endpoint: env.STORAGE_TEST_ENDPOINT,
      region: env.STORAGE_TEST_REGION ?? 'us-east-1',
      accessKeyId: env.STORAGE_TEST_ACCESS_KEY_ID!,
      secretAccessKey: env.STORAGE_TEST_SECRET_ACCESS_KEY!,
    };
    if (env.STORAGE_TEST_CREATE_BUCKET === '1') {
      // A fresh server (radosgw in CI) has no bucket yet; one that already exists and is ours is fine.
      const admin = createS3Client(conn);
      await admin.send(new CreateBucketCommand({ Bucket: env.STORAGE_TEST_BUCKET! })).catch((err: Error) => {
        if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
      });
      admin.destroy();
    }
    return {
      endpoint: env.STORAGE_TEST_ENDPOINT,
      region: env.STORAGE_TEST_REGION ?? 'us-east-1',
      bucket: env.STORAGE_TEST_BUCKET!,
      accessKeyId: env.STORAGE_TEST_ACCESS_KEY_ID!,
      secretAccessKey: env.STORAGE_TEST_SECRET_ACCESS_KEY!,
      label: env.STORAGE_TEST_ENDPOINT,
      close: async () => {},
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'storage-contract-'));
  const s3 = await startLocalS3({ port: 0, directory: dir, bucket: 'contract' });
  return {
    ...s3,
    region: 'us-east-1',
    label: `s3rver ${s3.endpoint}`,
    close: async () => {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

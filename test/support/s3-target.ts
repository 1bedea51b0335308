import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
 * The endpoint given by STORAGE_TEST_ENDPOINT (+ _BUCKET, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY), e.g. a Ceph
 * radosgw started by .ci/run; otherwise a local SigV4-verifying s3rver on a free port with a temporary directory.
 */
export async function s3Target(): Promise<S3Target> {
  const env = process.env;
  if (env.STORAGE_TEST_ENDPOINT) {
    const missing = ['STORAGE_TEST_BUCKET', 'STORAGE_TEST_ACCESS_KEY_ID', 'STORAGE_TEST_SECRET_ACCESS_KEY'].filter(
      (n) => !env[n],
    );
    if (missing.length) throw new Error(`STORAGE_TEST_ENDPOINT is set but ${missing.join(', ')} are not`);
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

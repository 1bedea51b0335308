import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../gpu-runner/src/service/s3-client.js';
import type { LocalS3 } from '../../infra/local/s3-server.js';

/** Every object key under `prefix` in the stack's bucket. */
export async function listKeys(s3: LocalS3, prefix: string): Promise<string[]> {
  const client = createS3Client({ ...s3, region: 'us-east-1' });
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    client.destroy();
  }
}

/** The object prefix a job's results are written under, from one of its signed URLs (`.../results/<tenant>/<job>/0.png?...`). */
export function resultPrefix(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return `${path.split('/').slice(2, -1).join('/')}/`;
}

import { inject } from 'vitest';
import { BucketClient } from '../src/storage/bucket-client';
import { runnerCall, tinyPng } from './helpers';

/** The test bucket, as the Worker sees it. */
export function testStore(): BucketClient {
  return new BucketClient({
    endpoint: `http://127.0.0.1:${inject('s3Port')}`,
    bucket: 'kd-test',
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
}

/** A leased job as the runner API returns it. */
export interface Leased {
  job: {
    id: string;
    task: string;
    attempt: number;
    created_at: number;
    params: Record<string, unknown> & { n: number; seed: number; width: number; height: number };
    output: { prefix: string };
  };
  lease: { id: string; expires_at: number };
}

/** Leases one job through the signed runner API (long-poll up to `waitMs`). */
export async function lease(waitMs = 5_000, runnerId = 'fake-runner'): Promise<Leased | null> {
  const response = await runnerCall('/v1/runner/lease', { wait_ms: waitMs }, { runnerId });
  if (response.status === 204) return null;
  if (response.status !== 200) throw new Error(`lease: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Writes one PNG per requested image into the job's output prefix and completes the job. */
export async function completeWithPngs(
  leased: Leased,
  timings: Record<string, number> = { total: 12 },
): Promise<{ response: Response; png: Uint8Array; body: unknown }> {
  const png = await tinyPng(64, 64);
  const store = testStore();
  const images = [];
  for (let i = 0; i < leased.job.params.n; i++) {
    const key = `${leased.job.output.prefix}${i}.png`;
    await store.put(key, png, 'image/png');
    images.push({
      key,
      width: 64,
      height: 64,
      content_type: 'image/png',
      seed: leased.job.params.seed + i,
      bytes: png.byteLength,
    });
  }
  const body = { lease_id: leased.lease.id, result: { images, timings_ms: timings } };
  const response = await runnerCall(`/v1/runner/jobs/${leased.job.id}/complete`, body);
  return { response, png, body };
}

/** Leases the next job and completes it; returns the job id. */
export async function runOneJob(waitMs = 5_000): Promise<string> {
  const leased = await lease(waitMs);
  if (!leased) throw new Error('no job to run');
  const { response } = await completeWithPngs(leased);
  if (response.status !== 200) throw new Error(`complete: ${response.status} ${await response.text()}`);
  return leased.job.id;
}

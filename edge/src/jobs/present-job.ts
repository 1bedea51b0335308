import { jobErrorType, OUTPUT_CONTENT_TYPES, previewKey } from '@kandinsky/protocol';
import type { z } from 'zod';
import type { Config } from '../config';
import type {
  publicImageSchema,
  publicJobSchema,
  publicPreviewSchema,
  publicQueuePlaceSchema,
} from '../schemas/public-job';
import type { BucketClient } from '../storage/bucket-client';
import { optionalBucket } from '../storage/bucket-from-config';
import { jobMetrics } from './job-metrics';
import type { JobRecord } from './types';

/** A result image as clients see it. */
export type PublicImage = z.infer<typeof publicImageSchema>;
/** A queued job's place: its position in its shard's queue and when it should start. */
export type PublicQueuePlace = z.infer<typeof publicQueuePlaceSchema>;
/** A preview: the images decoded after one denoising step. */
export type PublicPreview = z.infer<typeof publicPreviewSchema>;
/** The job object of the public API (schemas/public-job.ts). Times are unix seconds. */
export type PublicJob = z.infer<typeof publicJobSchema>;

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/**
 * Turns a stored job into its public shape, signing result URLs that expire `urlTtlSeconds` from now.
 * @example const view = await presentJob(record, store, 3600);
 */
export async function presentJob(
  record: JobRecord,
  store: BucketClient | null,
  urlTtlSeconds: number,
): Promise<PublicJob> {
  let output: PublicJob['output'] = null;
  if (record.status === 'succeeded' && record.result && store) {
    const images = await Promise.all(
      record.result.images.map(async (image) => ({
        url: await store.presignGet(image.key, urlTtlSeconds),
        width: image.width,
        height: image.height,
        content_type: image.content_type,
        seed: image.seed,
        bytes: image.bytes,
      })),
    );
    output = { images, urls_expire_at: Math.floor(Date.now() / 1000) + urlTtlSeconds };
  }
  const latest = record.previews.at(-1);
  return {
    id: record.id,
    object: 'job',
    task: record.task,
    status: record.status,
    created_at: Math.floor(record.created_at / 1000),
    started_at: seconds(record.started_at),
    completed_at: seconds(record.completed_at),
    attempts: record.attempts,
    max_attempts: record.max_attempts,
    progress: record.progress,
    queue: record.queue
      ? {
          position: record.queue.position,
          estimated_start_at: seconds(record.queue.estimatedStartAt),
          start_interval_ms: record.queue.startIntervalMs,
        }
      : null,
    previews: record.previews,
    preview: latest !== undefined && store ? await presentPreview(record, latest, store, urlTtlSeconds) : null,
    input: record.params,
    output,
    error: record.error && { ...record.error, type: jobErrorType(record.error.code) },
    user: record.user,
    metrics: jobMetrics(record),
  };
}

/** Presents a job with this deployment's bucket and URL expiry (no signed URLs when storage is not configured). */
export function presentJobWithConfig(record: JobRecord, config: Config): Promise<PublicJob> {
  return presentJob(record, optionalBucket(config), config.resultUrlTtlSeconds);
}

/** The images of a job's preview after `step`, behind signed URLs (keys from `previewKey`, as the runner stored them). */
export async function presentPreview(
  record: JobRecord,
  step: number,
  store: BucketClient,
  urlTtlSeconds: number,
): Promise<PublicPreview> {
  const { n, width, height, output_format: format } = record.params;
  const images = await Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      url: await store.presignGet(previewKey(record.output_prefix, step, i, format), urlTtlSeconds),
      width,
      height,
      content_type: OUTPUT_CONTENT_TYPES[format],
    })),
  );
  return { step, images };
}

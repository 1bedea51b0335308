import { jobErrorType, OUTPUT_CONTENT_TYPES, previewKey } from '@kandinsky/protocol';
import type { Config } from '../config';
import type { BucketClient } from '../storage/bucket-client';
import { optionalBucket } from '../storage/bucket-from-config';
import { type JobMetrics, jobMetrics } from './job-metrics';
import type { JobProgress, JobRecord, JobStatus, RunnerParams, Task } from './types';

/** A result image as clients see it. */
export interface PublicImage {
  url: string;
  width: number;
  height: number;
  content_type: string;
  seed: number;
  bytes: number;
}

/** A queued job's place (see durable/queue-place.ts): its position in its shard's queue and when it should start. */
export interface PublicQueuePlace {
  /** 1-based position among the queued jobs of the job's queue shard (1: handed out next). */
  position: number;
  /** Unix seconds; null until the shard has measured how fast it is drained. */
  estimated_start_at: number | null;
  /** The shard's measured mean time between two job starts (ms), the estimate's basis; null until measured. */
  start_interval_ms: number | null;
}

/** A preview: the images decoded after one denoising step. */
export interface PublicPreview {
  step: number;
  images: { url: string; width: number; height: number; content_type: string }[];
}

/** The job object of the public API. Times are unix seconds. */
export interface PublicJob {
  id: string;
  object: 'job';
  task: Task;
  status: JobStatus;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  attempts: number;
  max_attempts: number;
  progress: JobProgress | null;
  /** While queued: where the job stands and when it should start; null otherwise. */
  queue: PublicQueuePlace | null;
  /** The denoising steps whose preview images are stored, ascending (jobs with `preview_every` / `partial_images`). */
  previews: number[];
  /** The latest preview, with signed URLs; null when there is none. */
  preview: PublicPreview | null;
  input: RunnerParams;
  output: { images: PublicImage[]; urls_expire_at: number } | null;
  /** Why the job failed; `type` says whose fault it was (`invalid_request_error`: the request's). */
  error: { code: string; message: string; type: 'invalid_request_error' | 'server_error' } | null;
  user: string | null;
  /** Where a finished job's time went; null while it is in flight. */
  metrics: JobMetrics | null;
}

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

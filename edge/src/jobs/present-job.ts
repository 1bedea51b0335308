import { jobErrorType } from '@kandinsky/protocol';
import type { ObjectStore } from '../storage/object-store';
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
  input: RunnerParams;
  output: { images: PublicImage[]; urls_expire_at: number } | null;
  /** Why the job failed; `type` says whose fault it was (`invalid_request_error`: the request's). */
  error: { code: string; message: string; type: 'invalid_request_error' | 'server_error' } | null;
  user: string | null;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/**
 * Turns a stored job into its public shape, signing result URLs that expire `urlTtlSeconds` from now.
 * @example const view = await presentJob(record, store, 3600);
 */
export async function presentJob(
  record: JobRecord,
  store: ObjectStore | null,
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
    input: record.params,
    output,
    error: record.error && { ...record.error, type: jobErrorType(record.error.code) },
    user: record.user,
  };
}

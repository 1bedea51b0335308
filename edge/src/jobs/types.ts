import type { JobProgress, ResultImage, RunnerParams, Task } from '@kandinsky/protocol';
import type { z } from 'zod';
import type { QueuePlace } from '../durable/queue/place-estimate';
import type { jobStatusSchema } from '../schemas/public-job';

// The wire types shared with the runners live in one place: @kandinsky/protocol (docs/runner-protocol.md).
export type { FuseInput, JobError, JobProgress, ResultImage, RunnerJob, RunnerParams, Task } from '@kandinsky/protocol';
export { TASKS } from '@kandinsky/protocol';

/** Job lifecycle states. `queued` and `running` are in flight; the rest are terminal. */
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** A job as stored by its queue shard. Times are epoch milliseconds. */
export interface JobRecord {
  id: string;
  tenant: string;
  key_object_id: string;
  task: Task;
  params: RunnerParams;
  output_prefix: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  lease_id: string | null;
  lease_expires_at: number | null;
  runner_id: string | null;
  progress: JobProgress | null;
  /**
   * The decoder steps whose preview images are stored (`previewKey(output_prefix, step, i, format)`), ascending. Kept
   * when the job finishes, so a stream that missed a heartbeat still finds every preview.
   */
  previews: number[];
  result: { images: ResultImage[]; timings_ms?: Record<string, number> } | null;
  error: { code: string; message: string } | null;
  webhook_url: string | null;
  user: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
  /** Where a queued job stands (derived when a job is read, not stored); absent for jobs that are not queued. */
  queue?: QueuePlace;
}

/** Fields a creator supplies; the shard fills the rest. */
export type NewJob = Pick<
  JobRecord,
  'id' | 'tenant' | 'key_object_id' | 'task' | 'params' | 'output_prefix' | 'max_attempts' | 'webhook_url' | 'user'
> & {
  webhook_secret: string | null;
  /** Client Idempotency-Key (scoped to the tenant) and a hash of the request it came with. */
  idempotency_key: string | null;
  request_hash: string | null;
};

/** True for states a job never leaves. */
export function isTerminal(status: JobStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

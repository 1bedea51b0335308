/** The five generation tasks. */
export const TASKS = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
/** A generation task. */
export type Task = (typeof TASKS)[number];

/** Job lifecycle states. `queued` and `running` are in flight; the rest are terminal. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Fuse input item as sent to runners (images are bucket keys). */
export type FuseInput =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: string; weight: number };

/** Runner-facing parameters (docs/runner-protocol.md, `RunnerJob.params`). */
export interface RunnerParams {
  prompt?: string;
  negative_prompt?: string;
  n: number;
  width: number;
  height: number;
  seed: number;
  steps: number;
  guidance_scale: number;
  prior_steps: number;
  prior_guidance_scale: number;
  scheduler: 'ddim' | 'ddpm' | 'dpmpp_2m';
  strength?: number;
  image?: string;
  mask?: string;
  inputs?: FuseInput[];
  output_format: 'png' | 'jpeg' | 'webp';
}

/** A result image reported by a runner. */
export interface ResultImage {
  key: string;
  width: number;
  height: number;
  content_type: string;
  seed: number;
  bytes: number;
}

/** Progress reported by a runner heartbeat. */
export interface JobProgress {
  stage: string;
  step: number;
  total_steps: number;
}

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
  result: { images: ResultImage[]; timings_ms?: Record<string, number> } | null;
  error: { code: string; message: string } | null;
  webhook_url: string | null;
  user: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
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

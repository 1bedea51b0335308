import { jobProgressSchema, type RunnerParams, TASKS } from '@kandinsky/protocol';
import { z } from 'zod';

/**
 * The job object of the public API, as zod schemas: the TypeScript types (jobs/present-job.ts) and the OpenAPI
 * document's `Job` schema are both derived from these, so they cannot disagree. Nothing parses with them; they describe
 * what presentJob writes.
 */

/** Job lifecycle states. `queued` and `running` are in flight; the rest are terminal. */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
/** Job lifecycle states. */
export const jobStatusSchema = z.enum(JOB_STATUSES);

const unixSeconds = z.number().int();

/** A result image as clients see it. */
export const publicImageSchema = z.object({
  url: z.string().meta({ description: 'Presigned GET URL; expires at urls_expire_at.' }),
  width: z.number().int(),
  height: z.number().int(),
  content_type: z.string(),
  seed: z.number().int(),
  bytes: z.number().int(),
});

/** A queued job's place (see durable/queue-place.ts): its position in its shard's queue and when it should start. */
export const publicQueuePlaceSchema = z.object({
  position: z.number().int().min(1).meta({
    description: "1-based position among the queued jobs of the job's queue shard (1: handed out next).",
  }),
  estimated_start_at: unixSeconds
    .nullable()
    .meta({ description: 'unix seconds; null until the shard has measured how fast it is drained' }),
  start_interval_ms: z.number().int().nullable().meta({
    description:
      "The shard's measured mean time between two job starts (ms), the estimate's basis; null until measured.",
  }),
});

/** A preview: the images decoded after one denoising step. */
export const publicPreviewSchema = z.object({
  step: z.number().int(),
  images: z.array(
    z.object({ url: z.string(), width: z.number().int(), height: z.number().int(), content_type: z.string() }),
  ),
});

/** The stages a runner reports times for (see jobs/job-metrics.ts). */
export const METRIC_STAGES = ['encode', 'prior', 'decoder', 'movq', 'preview', 'upload'] as const;

/** Where a finished job's time went, as clients see it (Replicate's `metrics`, with the stages split out). */
export const jobMetricsSchema = z.object({
  queue_wait_ms: z.number().int().nullable().meta({
    description: 'From acceptance to the first lease; null when no runner ever took it (cancelled while queued).',
  }),
  predict_ms: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'The model run on the runner ("predict time"); null when the job did not succeed.' }),
  stages_ms: z.partialRecord(z.enum(METRIC_STAGES), z.number().int()).nullable().meta({
    description:
      "The runner's time per stage: encode (text and image encoders), prior, decoder (the U-Net loop), movq (decoding the final latents), preview (decoding previews, when asked for), upload (storing the results). A job that ran batched with others reports the shared pass's times. Null when the job did not succeed.",
  }),
  total_ms: z.number().int().meta({ description: 'From acceptance to the end.' }),
});

/** Why a job failed; `type` says whose fault it was. */
export const publicJobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  type: z.enum(['invalid_request_error', 'server_error']).meta({ description: "whose fault: the request's or ours" }),
});

/** The job object of the public API. Times are unix seconds. */
export const publicJobSchema = z.object({
  id: z.string(),
  object: z.literal('job'),
  task: z.enum(TASKS),
  status: jobStatusSchema,
  created_at: unixSeconds.meta({ description: 'unix seconds' }),
  started_at: unixSeconds.nullable(),
  completed_at: unixSeconds.nullable(),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  progress: jobProgressSchema.nullable(),
  queue: publicQueuePlaceSchema.nullable().meta({
    description:
      "While queued: the job's position among the queued jobs of its queue shard (1 = handed out next; jobs of other shards start in parallel, not before or after it) and when it should start, from the shard's measured time between job starts. Null otherwise.",
  }),
  previews: z.array(z.number().int()).meta({
    description: 'Denoising steps whose preview images are stored (preview_every / partial_images), ascending.',
  }),
  preview: publicPreviewSchema.nullable().meta({
    description: "The latest preview (decoded from that step's predicted clean latents), signed URLs; null if none.",
  }),
  // The runner's parameter types are a union per task; the document shows them as an object with a description.
  input: z.custom<RunnerParams>().meta({
    type: 'object',
    description:
      'Resolved parameters (defaults filled, sizes rounded up to multiples of 64, seed chosen, preview steps).',
  }),
  output: z.object({ images: z.array(publicImageSchema), urls_expire_at: unixSeconds }).nullable(),
  error: publicJobErrorSchema.nullable(),
  user: z.string().nullable(),
  metrics: jobMetricsSchema
    .nullable()
    .meta({ description: "Where a finished job's time went (ms); null while in flight." }),
});

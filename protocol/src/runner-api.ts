import { z } from 'zod';
import { type TaskParams, taskParamsSchemas } from './generation-params.js';
import { GENERATION_LIMITS as L, TASKS, type Task } from './limits.js';

/**
 * The bodies of docs/runner-protocol.md: what the edge hands a runner on `/lease` and what the runner reports back.
 * The edge validates runner requests with these schemas; a runner validates each leased job with
 * {@link runnerJobSchema} before it spends anything on it.
 */

/** An object key in the bucket, as jobs carry input images. */
export const objectKeySchema = z.string().min(1).max(1024);

/** `RunnerJob.params` of each task: resolved parameters with input images as bucket keys. */
export const wireParamsSchemas = taskParamsSchemas(objectKeySchema);

const envelope = {
  id: z.string().min(1).max(128),
  attempt: z.number().int().min(1),
  /** When the edge accepted the job (epoch ms); runners report queue wait from it. Older edges omit it. */
  created_at: z.number().optional(),
  output: z.object({ prefix: z.string().min(1).max(1024) }),
};

/**
 * A job handed to a runner by `/lease`, tagged by task. Unknown envelope fields are ignored (a newer edge may add
 * some); unknown parameters are refused (a runner cannot honour what it does not know).
 */
export const runnerJobSchema = z.discriminatedUnion(
  'task',
  TASKS.map((task) => z.object({ ...envelope, task: z.literal(task), params: wireParamsSchemas[task] })) as unknown as [
    RunnerJobSchemaOf<'text2image'>,
    RunnerJobSchemaOf<'variation'>,
    RunnerJobSchemaOf<'fuse'>,
    RunnerJobSchemaOf<'img2img'>,
    RunnerJobSchemaOf<'inpaint'>,
  ],
);
type RunnerJobSchemaOf<T extends Task> = z.ZodObject<
  typeof envelope & { task: z.ZodLiteral<T>; params: (typeof wireParamsSchemas)[T] }
>;

/** A job handed to a runner by `/lease`. */
export type RunnerJob = z.output<typeof runnerJobSchema>;
/** `RunnerJob.params` of any task. */
export type RunnerParams = RunnerJob['params'];
/** `RunnerJob.params` of one task. */
export type RunnerTaskParams<T extends Task> = TaskParams<T, string>;
/** One fuse input on the wire: a text or an image (bucket key) with a weight. */
export type FuseInput = TaskParams<'fuse', string>['inputs'][number];

const leaseId = z.string().min(1).max(128);

/** `POST /v1/runner/lease`. */
export const leaseBodySchema = z.strictObject({
  wait_ms: z.number().int().min(0).max(25_000).default(0),
  tasks: z.array(z.enum(TASKS)).max(TASKS.length).optional(),
});

/** Progress carried by a heartbeat. */
export const jobProgressSchema = z.strictObject({
  stage: z.string().min(1).max(64),
  step: z.number().int().min(0).max(100_000),
  total_steps: z.number().int().min(0).max(100_000),
});
/** Progress carried by a heartbeat. */
export type JobProgress = z.output<typeof jobProgressSchema>;

/** `POST /v1/runner/jobs/:id/heartbeat`. */
export const heartbeatBodySchema = z.strictObject({ lease_id: leaseId, progress: jobProgressSchema.optional() });

/** A result image a runner stored and reports on `/complete`. */
export const resultImageSchema = z.strictObject({
  key: objectKeySchema,
  width: z.number().int().min(1).max(8192),
  height: z.number().int().min(1).max(8192),
  content_type: z.enum(['image/png', 'image/jpeg', 'image/webp']),
  /** The seed that reproduces this image alone (`imageSeed(params.seed, index)`). */
  seed: z.number().int().min(0).max(L.maxSeed),
  bytes: z.number().int().min(0),
});
/** A result image a runner stored and reports on `/complete`. */
export type ResultImage = z.output<typeof resultImageSchema>;

/** `POST /v1/runner/jobs/:id/complete`. */
export const completeBodySchema = z.strictObject({
  lease_id: leaseId,
  result: z.strictObject({
    images: z.array(resultImageSchema).min(1).max(L.maxImages),
    timings_ms: z.record(z.string().max(64), z.number().min(0)).optional(),
  }),
});

/** A job failure as a runner reports it on `/fail`. */
export const jobErrorSchema = z.strictObject({ code: z.string().min(1).max(64), message: z.string().max(2000) });
/** A job failure as a runner reports it on `/fail`. */
export type JobError = z.output<typeof jobErrorSchema>;

/** `POST /v1/runner/jobs/:id/fail`. */
export const failBodySchema = z.strictObject({ lease_id: leaseId, error: jobErrorSchema, retryable: z.boolean() });

/** `POST /v1/runner/jobs/:id/release`. */
export const releaseBodySchema = z.strictObject({ lease_id: leaseId });

import { z } from 'zod';
import { TASKS } from '../jobs/types';

/** `POST /v1/runner/lease`. */
export const leaseSchema = z.strictObject({
  wait_ms: z.number().int().min(0).max(25_000).default(0),
  tasks: z.array(z.enum(TASKS)).max(TASKS.length).optional(),
});

const leaseId = z.string().min(1).max(128);

/** `POST /v1/runner/jobs/:id/heartbeat`. */
export const heartbeatSchema = z.strictObject({
  lease_id: leaseId,
  progress: z
    .strictObject({
      stage: z.string().min(1).max(64),
      step: z.number().int().min(0).max(100_000),
      total_steps: z.number().int().min(0).max(100_000),
    })
    .optional(),
});

/** `POST /v1/runner/jobs/:id/complete`. */
export const completeSchema = z.strictObject({
  lease_id: leaseId,
  result: z.strictObject({
    images: z
      .array(
        z.strictObject({
          key: z.string().min(1).max(1024),
          width: z.number().int().min(1).max(8192),
          height: z.number().int().min(1).max(8192),
          content_type: z.enum(['image/png', 'image/jpeg', 'image/webp']),
          seed: z.number().int().min(0).max(0xffffffff),
          bytes: z.number().int().min(0),
        }),
      )
      .min(1)
      .max(4),
    timings_ms: z.record(z.string().max(64), z.number().min(0)).optional(),
  }),
});

/** `POST /v1/runner/jobs/:id/fail`. */
export const failSchema = z.strictObject({
  lease_id: leaseId,
  error: z.strictObject({ code: z.string().min(1).max(64), message: z.string().max(2000) }),
  retryable: z.boolean(),
});

/** `POST /v1/runner/jobs/:id/release`. */
export const releaseSchema = z.strictObject({ lease_id: leaseId });

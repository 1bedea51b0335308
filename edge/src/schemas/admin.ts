import { z } from 'zod';

/** `POST /v1/admin/keys`. */
export const createKeySchema = z.strictObject({
  name: z.string().max(128).optional(),
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'tenant must be 1-64 characters of [A-Za-z0-9_-]')
    .optional(),
  limits: z
    .strictObject({
      requests_per_minute: z.number().int().min(1).max(1_000_000).default(120),
      max_running_jobs: z.number().int().min(1).max(10_000).default(4),
    })
    .default({ requests_per_minute: 120, max_running_jobs: 4 }),
});

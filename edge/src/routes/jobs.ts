import { Hono } from 'hono';
import { z } from 'zod';
import { readConfig } from '../config';
import { ApiError } from '../errors/api-error';
import { createJob } from '../jobs/create-job';
import { streamJobEvents } from '../jobs/job-events';
import { parseCreateRequest } from '../jobs/parse-create-request';
import { presentJobWithConfig } from '../jobs/present-job';
import { jobNotFound, shardForJob, shardStub } from '../jobs/shards';
import { isTerminal } from '../jobs/types';
import { waitForJob } from '../jobs/wait-for-job';
import { parsePreferWait } from '../lib/prefer-wait';
import { validate } from '../lib/validate';
import { apiKeyAuth } from '../middleware/api-key-auth';
import { readBody } from '../middleware/read-body';
import type { AppEnv } from '../types';

/** Body limit of job creation (room for a few base64 images). */
export const CREATE_BODY_LIMIT = 32 * 1024 * 1024;
const SMALL_BODY_LIMIT = 64 * 1024;

const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 visible ASCII characters');
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z
    .string()
    .regex(/^\d{1,15}\.job_[0-9A-Za-z]{24}$/, 'after must be a cursor returned by a previous page')
    .optional(),
});

/** The native async job API: create, list, get, cancel, and progress events. */
export const jobRoutes = new Hono<AppEnv>();

jobRoutes.use('*', apiKeyAuth());

jobRoutes.post('/', readBody({ maxBytes: CREATE_BODY_LIMIT }), async (c) => {
  const headerKey = c.req.header('idempotency-key');
  const key = headerKey === undefined ? null : validateHeader(idempotencyKey, headerKey, 'Idempotency-Key');
  const parsed = await parseCreateRequest(c.req.header('content-type'), c.get('rawBody'));
  const apiKey = c.get('apiKey');
  const { job, replayed } = await createJob(c.env, apiKey, parsed.request, {
    idempotencyKey: key,
    requestHash: parsed.requestHash,
    attachments: parsed.attachments,
  });
  const wait = parsePreferWait(c.req.header('prefer'));
  const latest = wait ? ((await waitForJob(c.env, job, apiKey.tenant, wait * 1000)) ?? job) : job;
  if (wait !== null) c.header('preference-applied', `wait=${wait}`);
  if (replayed) c.header('idempotent-replayed', 'true');
  c.header('location', `/v1/jobs/${job.id}`);
  return c.json(await presentJobWithConfig(latest, readConfig(c.env)), isTerminal(latest.status) ? 200 : 202);
});

jobRoutes.get('/', async (c) => {
  const query = validate(listQuery, c.req.query());
  const tenant = c.get('apiKey').tenant;
  const before = query.after ? { created_at: Number(query.after.split('.')[0]), id: query.after.split('.')[1] } : null;
  const shards = readConfig(c.env).queueShards;
  // Jobs spread over shards: ask each for its newest page and merge (listing is rare; creates stay shard-local).
  const pages = await Promise.all(
    Array.from({ length: shards }, (_, shard) => shardStub(c.env, shard).list(tenant, query.limit + 1, before)),
  );
  const merged = pages.flat().sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const page = merged.slice(0, query.limit);
  const hasMore = merged.length > query.limit;
  const last = page[page.length - 1];
  return c.json({
    object: 'list',
    data: await Promise.all(page.map((job) => presentJobWithConfig(job, readConfig(c.env)))),
    has_more: hasMore,
    next_cursor: hasMore && last ? `${last.created_at}.${last.id}` : null,
  });
});

jobRoutes.get('/:id', async (c) => {
  const id = c.req.param('id');
  const tenant = c.get('apiKey').tenant;
  const job = await shardForJob(c.env, id).get(id, tenant);
  if (!job) throw jobNotFound(id);
  const wait = parsePreferWait(c.req.header('prefer'));
  const latest = wait ? ((await waitForJob(c.env, job, tenant, wait * 1000)) ?? job) : job;
  if (wait !== null) c.header('preference-applied', `wait=${wait}`);
  return c.json(await presentJobWithConfig(latest, readConfig(c.env)));
});

jobRoutes.post('/:id/cancel', readBody({ maxBytes: SMALL_BODY_LIMIT }), async (c) => {
  const id = c.req.param('id');
  const outcome = await shardForJob(c.env, id).cancel(id, c.get('apiKey').tenant);
  if (outcome.kind === 'not_found') throw jobNotFound(id);
  if (outcome.kind === 'conflict') {
    throw new ApiError(409, `Job ${id} already ${outcome.job.status}; it cannot be cancelled.`, {
      code: 'job_not_cancellable',
    });
  }
  return c.json(await presentJobWithConfig(outcome.job, readConfig(c.env)));
});

jobRoutes.get('/:id/events', async (c) => {
  const id = c.req.param('id');
  const tenant = c.get('apiKey').tenant;
  const shard = shardForJob(c.env, id);
  const first = await shard.get(id, tenant);
  if (!first) throw jobNotFound(id);
  return streamJobEvents(c, shard, first, tenant);
});

function validateHeader<T extends z.ZodType>(schema: T, value: string, name: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError(400, result.error.issues[0].message, { param: name, code: 'invalid_header' });
  return result.data;
}

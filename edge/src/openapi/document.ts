import {
  completeBodySchema,
  failBodySchema,
  GENERATION_LIMITS,
  heartbeatBodySchema,
  leaseBodySchema,
  releaseBodySchema,
} from '@kandinsky/protocol';
import { IMAGE_LIMITS } from '@kandinsky/protocol/image-bytes';
import { MAX_PREFER_WAIT_SECONDS } from '../lib/prefer-wait';
import { createKeySchema } from '../schemas/admin';
import { errorBodySchema } from '../schemas/error-body';
import { jobCreateSchema } from '../schemas/job-create';
import { publicJobSchema } from '../schemas/public-job';
import { errorResponses, json, ref } from './document-parts';
import { imagesPaths, imagesSchemas } from './images-paths';
import { inputSchema, outputSchema } from './json-schema';

const jobIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^job_[0-9a-z]{2}[0-9A-Za-z]{22}$' },
};
const preferWait = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: `\`wait=N\`: hold the request up to N seconds (max ${MAX_PREFER_WAIT_SECONDS}) until the job is finished.`,
  schema: { type: 'string', examples: ['wait=30'] },
};

const errorStatuses: Record<number, string> = {
  400: 'Invalid request (bad JSON, wrong type, out-of-range value, unknown field, bad image).',
  401: 'Missing, invalid or revoked credentials.',
  404: 'Not found (or not yours).',
  409: 'Conflict (idempotency key reused with another request, job not cancellable, lease not current).',
  413: 'Request body too large.',
  415: 'Unsupported Content-Type.',
  429: 'Rate limit or running-jobs cap reached; see Retry-After.',
  503: 'Queue full or dependency not configured; see Retry-After.',
};

const runnerSecurity = [{ runnerSignature: [], runnerId: [], runnerTimestamp: [], runnerNonce: [] }];
const runnerPost = (summary: string, body: unknown, answer: unknown, extra: Record<string, unknown> = {}) => ({
  post: {
    tags: ['runner'],
    summary,
    security: runnerSecurity,
    requestBody: { required: true, content: json(body) },
    responses: { '200': { description: 'OK', content: json(answer) }, ...errorResponses(400, 401, 404, 409) },
    ...extra,
  },
});

/** An admin operation: tagged `admin`, behind the `ADMIN_TOKEN` bearer secret. */
const adminOperation = (summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  tags: ['admin'],
  summary,
  security: [{ adminToken: [] }],
  ...extra,
  responses,
});

/** Revoking a key, offered both as `DELETE /v1/admin/keys/{id}` and as `POST /v1/admin/keys/{id}/revoke`. */
const revokeKeyOperation = adminOperation('Revoke an API key', {
  '200': { description: 'The revoked key', content: json(ref('ApiKey')) },
  ...errorResponses(401, 404),
});

let cached: Record<string, unknown> | null = null;

/**
 * The OpenAPI 3.1 document of the gateway. Request schemas are generated from the same zod schemas that validate
 * requests, and the job, error and images response schemas from the zod schemas their TypeScript types come from, so
 * the document cannot drift from the code.
 */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Kandinsky 2.1 image API',
      version: '1.0.0',
      description: [
        'OpenAI-compatible image generation plus a native async job API for Kandinsky 2.1.',
        `Sizes: \`size: "WxH"\` or \`width\`/\`height\`, ${GENERATION_LIMITS.minSide}..${GENERATION_LIMITS.maxSide} px; each side is rounded UP to a multiple of 64,`,
        'as the Kandinsky reference pipeline requires (e.g. 500x300 renders 512x320). Errors always have the shape',
        '`{ "error": { "message", "type", "param", "code" } }`, and every response carries `x-request-id`.',
        'Webhooks are signed with the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`)',
        "using the key's `whsec_` secret, and retried with exponential backoff (5 s .. 8 h, 8 attempts).",
      ].join(' '),
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'images', description: 'OpenAI Images API: generations, edits, variations (wait, or stream).' },
      { name: 'jobs', description: 'Native async job API for all five tasks.' },
      { name: 'runner', description: 'GPU runner protocol (docs/runner-protocol.md).' },
      { name: 'admin', description: 'API key management (ADMIN_TOKEN).' },
    ],
    paths: {
      ...imagesPaths,
      '/v1/jobs': {
        post: {
          tags: ['jobs'],
          summary: 'Create a job',
          description: `JSON, or multipart/form-data with a \`request\` part holding the same JSON and file parts referenced as \`attachment:<part name>\`. Input images: PNG, JPEG or WebP, up to ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB, ${IMAGE_LIMITS.minSide}..${IMAGE_LIMITS.maxSide} px per side, checked for structural damage (truncated or inconsistent data is a 400).`,
          security: [{ apiKey: [] }],
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
            preferWait,
          ],
          requestBody: {
            required: true,
            content: {
              ...json(ref('JobCreateRequest')),
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['request'],
                  properties: { request: { type: 'string', description: 'JobCreateRequest as JSON' } },
                },
              },
            },
          },
          responses: {
            '202': { description: 'Accepted; the job is queued or running', content: json(ref('Job')) },
            '200': { description: 'Finished within Prefer: wait', content: json(ref('Job')) },
            ...errorResponses(400, 401, 409, 413, 415, 429, 503),
          },
        },
        get: {
          tags: ['jobs'],
          summary: "List the caller's jobs, newest first",
          security: [{ apiKey: [] }],
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page' },
          ],
          responses: {
            '200': {
              description: 'A page of jobs',
              content: json({
                type: 'object',
                properties: {
                  object: { const: 'list' },
                  data: { type: 'array', items: ref('Job') },
                  has_more: { type: 'boolean' },
                  next_cursor: { type: ['string', 'null'] },
                },
              }),
            },
            ...errorResponses(400, 401, 429),
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          tags: ['jobs'],
          summary: 'Get a job',
          security: [{ apiKey: [] }],
          parameters: [jobIdParam, preferWait],
          responses: { '200': { description: 'The job', content: json(ref('Job')) }, ...errorResponses(401, 404, 429) },
        },
      },
      '/v1/jobs/{id}/cancel': {
        post: {
          tags: ['jobs'],
          summary: 'Cancel a job (a running job stops at its next step)',
          security: [{ apiKey: [] }],
          parameters: [jobIdParam],
          responses: {
            '200': { description: 'The cancelled job', content: json(ref('Job')) },
            ...errorResponses(401, 404, 409, 429),
          },
        },
      },
      '/v1/jobs/{id}/events': {
        get: {
          tags: ['jobs'],
          summary: 'Progress as Server-Sent Events',
          description:
            '`event: job` with the Job as data on every change (id: its version); `event: queue` with `{ id, queue }` when a queued job moves up without changing; `event: preview` with `{ id, step, images: [{ url, width, height, content_type }] }` once per stored preview, before the job event that reports it; `event: done` when finished; comments as keep-alives.',
          security: [{ apiKey: [] }],
          parameters: [jobIdParam],
          responses: {
            '200': { description: 'Event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...errorResponses(401, 404, 429),
          },
        },
      },
      '/v1/runner/lease': runnerPost(
        'Lease a job (long-poll)',
        inputSchema(leaseBodySchema),
        {
          type: 'object',
          properties: {
            job: { type: 'object' },
            lease: { type: 'object', properties: { id: { type: 'string' }, expires_at: { type: 'integer' } } },
          },
        },
        {
          responses: {
            '200': { description: 'A job and its lease' },
            '204': { description: 'No job within wait_ms' },
            ...errorResponses(400, 401),
          },
        },
      ),
      '/v1/runner/jobs/{id}/heartbeat': runnerPost(
        'Extend the lease, report progress, learn about cancellation',
        inputSchema(heartbeatBodySchema),
        {
          type: 'object',
          properties: { cancel: { type: 'boolean' }, lease_expires_at: { type: 'integer' } },
        },
      ),
      '/v1/runner/jobs/{id}/complete': runnerPost(
        'Report success (duplicates are acknowledged)',
        inputSchema(completeBodySchema),
        {
          type: 'object',
          properties: { status: { const: 'succeeded' }, duplicate: { type: 'boolean' } },
        },
      ),
      '/v1/runner/jobs/{id}/fail': runnerPost(
        'Report failure (retryable failures requeue until max attempts)',
        inputSchema(failBodySchema),
        {
          type: 'object',
          properties: { status: { type: 'string' } },
        },
      ),
      '/v1/runner/jobs/{id}/release': runnerPost(
        'Give a job back without using an attempt',
        inputSchema(releaseBodySchema),
        {
          type: 'object',
          properties: { status: { type: 'string' } },
        },
      ),
      '/v1/admin/keys': {
        post: adminOperation(
          'Create an API key (plaintext key and webhook secret are returned once)',
          { '201': { description: 'The new key', content: json(ref('ApiKeyCreated')) }, ...errorResponses(400, 401) },
          { requestBody: { required: false, content: json(inputSchema(createKeySchema)) } },
        ),
      },
      '/v1/admin/keys/{id}': {
        get: adminOperation('Get an API key', {
          '200': { description: 'The key', content: json(ref('ApiKey')) },
          ...errorResponses(401, 404),
        }),
        delete: revokeKeyOperation,
      },
      '/v1/admin/queue': {
        get: adminOperation('Queue depth over all shards (autoscalers read `queued`)', {
          '200': {
            description: 'Queue depth',
            content: json({
              type: 'object',
              properties: {
                queued: { type: 'integer' },
                running: { type: 'integer' },
                pending_webhooks: { type: 'integer' },
                shards: { type: 'array', items: { type: 'object' } },
              },
            }),
          },
          ...errorResponses(401),
        }),
      },
      '/v1/admin/keys/{id}/revoke': {
        post: revokeKeyOperation,
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'API key `kd_live_…`' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN secret' },
        runnerSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-runner-signature',
          description: 'See docs/runner-protocol.md',
        },
        runnerId: { type: 'apiKey', in: 'header', name: 'x-runner-id' },
        runnerTimestamp: { type: 'apiKey', in: 'header', name: 'x-runner-timestamp' },
        runnerNonce: { type: 'apiKey', in: 'header', name: 'x-runner-nonce' },
      },
      schemas: {
        Error: outputSchema(errorBodySchema),
        ...imagesSchemas,
        JobCreateRequest: inputSchema(jobCreateSchema),
        Job: outputSchema(publicJobSchema),
        ApiKey: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            object: { const: 'api_key' },
            name: { type: ['string', 'null'] },
            tenant: { type: 'string' },
            limits: {
              type: 'object',
              properties: { requests_per_minute: { type: 'integer' }, max_running_jobs: { type: 'integer' } },
            },
            created_at: { type: 'integer' },
            revoked_at: { type: ['integer', 'null'] },
          },
        },
        ApiKeyCreated: {
          allOf: [
            ref('ApiKey'),
            { type: 'object', properties: { key: { type: 'string' }, webhook_secret: { type: 'string' } } },
          ],
        },
      },
      responses: Object.fromEntries(
        Object.entries(errorStatuses).map(([status, description]) => [
          `Error${status}`,
          {
            description,
            headers:
              status === '429' || status === '503' ? { 'Retry-After': { schema: { type: 'integer' } } } : undefined,
            content: json(ref('Error')),
          },
        ]),
      ),
    },
  };
  return cached;
}

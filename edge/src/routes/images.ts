import { jobErrorType } from '@kandinsky/protocol';
import { Hono } from 'hono';
import { readConfig } from '../config';
import { ApiError } from '../errors/api-error';
import { createJob } from '../jobs/create-job';
import { jobNotFound } from '../jobs/shards';
import { waitForJob } from '../jobs/wait-for-job';
import { sha256Hex, toBase64 } from '../lib/crypto';
import { parseJson, requireJsonContentType } from '../lib/validate';
import { apiKeyAuth } from '../middleware/api-key-auth';
import { readBody } from '../middleware/read-body';
import { openAiGenerationSchema } from '../schemas/openai-generation';
import { storeFromConfig } from '../storage/store-from-config';
import type { AppEnv } from '../types';

/** How long the synchronous endpoint holds a request for its result. */
export const SYNC_WAIT_MS = 300_000;

/** OpenAI-compatible image generation: creates a text2image job and answers when it is done. */
export const imageRoutes = new Hono<AppEnv>();

imageRoutes.post('/generations', apiKeyAuth(), readBody({ maxBytes: 64 * 1024 }), async (c) => {
  requireJsonContentType(c.req.header('content-type'));
  const body = parseJson(c.get('rawBody'), openAiGenerationSchema);
  const { prompt, response_format: responseFormat, user, model: _model, ...sampling } = body;
  const apiKey = c.get('apiKey');
  const request = { task: 'text2image' as const, input: { prompt, ...sampling }, user };
  const idempotencyKey = c.req.header('idempotency-key') ?? null;
  if (idempotencyKey !== null && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    throw new ApiError(400, 'Idempotency-Key must be 1-255 visible ASCII characters', {
      param: 'Idempotency-Key',
      code: 'invalid_header',
    });
  }
  const { job } = await createJob(c.env, apiKey, request, {
    idempotencyKey,
    requestHash: await sha256Hex(JSON.stringify(request)),
    attachments: new Map(),
  });
  const done = await waitForJob(c.env, job, apiKey.tenant, SYNC_WAIT_MS);
  if (!done) throw jobNotFound(job.id);
  if (done.status === 'failed') {
    // A failure the request caused (an image the decoder could not read) is the client's 400, not our 500.
    const code = done.error?.code ?? 'generation_failed';
    const clientFault = jobErrorType(code) === 'invalid_request_error';
    throw new ApiError(
      clientFault ? 400 : 500,
      `Image generation failed (job ${done.id}): ${done.error?.message ?? 'unknown error'}`,
      { code },
    );
  }
  if (done.status === 'cancelled') throw new ApiError(409, `Job ${done.id} was cancelled.`, { code: 'job_cancelled' });
  if (done.status !== 'succeeded' || !done.result) {
    throw new ApiError(504, `The image is not ready yet; follow it at /v1/jobs/${done.id}.`, {
      type: 'server_error',
      code: 'generation_timeout',
    });
  }
  const config = readConfig(c.env);
  const store = storeFromConfig(config);
  const data = await Promise.all(
    done.result.images.map(async (image) =>
      responseFormat === 'b64_json'
        ? { b64_json: toBase64(await store.get(image.key)), revised_prompt: prompt }
        : { url: await store.presignGet(image.key, config.resultUrlTtlSeconds), revised_prompt: prompt },
    ),
  );
  c.header('x-job-id', done.id);
  return c.json({ created: Math.floor(done.created_at / 1000), data });
});

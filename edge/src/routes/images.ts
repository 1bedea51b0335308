import { taskInputSchemas } from '@kandinsky/protocol';
import { type Context, Hono } from 'hono';
import { ApiError } from '../errors/api-error';
import { createJob } from '../jobs/create-job';
import { jobNotFound } from '../jobs/shards';
import { waitForJob } from '../jobs/wait-for-job';
import { sha256Hex } from '../lib/crypto';
import { parseJson, requireJsonContentType, validate } from '../lib/validate';
import { apiKeyAuth } from '../middleware/api-key-auth';
import { readBody } from '../middleware/read-body';
import { readOpenAiForm } from '../openai/form-body';
import { imagesResponse } from '../openai/image-response';
import { streamImageJob } from '../openai/image-stream';
import { editRequest, type NativeRequest, variationRequest } from '../openai/native-request';
import type { JobCreateRequest } from '../schemas/job-create';
import { imageRef } from '../schemas/job-create';
import { openAiEditSchema, openAiVariationSchema } from '../schemas/openai-edit';
import { openAiGenerationSchema } from '../schemas/openai-generation';
import type { AppEnv } from '../types';

/** How long the synchronous endpoints (and streams) hold a request for its result. */
export const SYNC_WAIT_MS = 300_000;
/** Body limit of the multipart endpoints: room for several 8 MiB images and a mask. */
const UPLOAD_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The OpenAI Images API: `generations` (JSON, text2image), `edits` (multipart: img2img, inpaint with OpenAI's alpha
 * mask, or fuse for several images) and `variations` (multipart: variation). Each maps onto a native job checked by
 * the one request contract and created by `createJob`, so limits and 400s are those of `POST /v1/jobs`; the answer
 * waits for the result (OpenAI's response), or with `stream: true` streams OpenAI's image events, partial images
 * being the job's previews.
 */
export const imageRoutes = new Hono<AppEnv>();

const text2image = taskInputSchemas(imageRef).text2image;

imageRoutes.post('/generations', apiKeyAuth(), readBody({ maxBytes: 64 * 1024 }), async (c) => {
  requireJsonContentType(c.req.header('content-type'));
  const body = parseJson(c.get('rawBody'), openAiGenerationSchema);
  const {
    prompt,
    response_format: responseFormat,
    user,
    model: _model,
    stream,
    partial_images: partialImages,
    ...sampling
  } = body;
  const previews = stream && partialImages !== undefined ? { partial_images: partialImages } : {};
  const request: JobCreateRequest = {
    task: 'text2image',
    input: validate(text2image, { prompt, ...sampling, ...previews }),
    user,
  };
  const native = { request, attachments: new Map(), paramName: (field: string) => field };
  return runImageJob(c, native, await sha256Hex(JSON.stringify(request)), {
    stream: stream ? 'image_generation' : null,
    responseFormat,
    revisedPrompt: prompt,
  });
});

imageRoutes.post('/edits', apiKeyAuth(), readBody({ maxBytes: UPLOAD_BODY_LIMIT }), async (c) => {
  const form = await readOpenAiForm(c.req.header('content-type'), c.get('rawBody'));
  const body = validate(openAiEditSchema, form.fields);
  const native = editRequest(form, body);
  const hash = await sha256Hex(JSON.stringify(['edits', native.request, form.fileHashes]));
  return runImageJob(c, native, hash, {
    stream: body.stream ? 'image_edit' : null,
    responseFormat: body.response_format,
  });
});

imageRoutes.post('/variations', apiKeyAuth(), readBody({ maxBytes: UPLOAD_BODY_LIMIT }), async (c) => {
  const form = await readOpenAiForm(c.req.header('content-type'), c.get('rawBody'));
  const body = validate(openAiVariationSchema, form.fields);
  const native = variationRequest(form, body);
  const hash = await sha256Hex(JSON.stringify(['variations', native.request, form.fileHashes]));
  return runImageJob(c, native, hash, { stream: null, responseFormat: body.response_format });
});

/** Creates the job (honouring Idempotency-Key), then answers with its images, or streams them. */
async function runImageJob(
  c: Context<AppEnv>,
  native: NativeRequest,
  requestHash: string,
  options: {
    /** Stream OpenAI's events of this kind instead of waiting for the images. */
    stream: 'image_generation' | 'image_edit' | null;
    responseFormat: 'url' | 'b64_json';
    revisedPrompt?: string;
  },
): Promise<Response> {
  const idempotencyKey = c.req.header('idempotency-key') ?? null;
  if (idempotencyKey !== null && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    throw new ApiError(400, 'Idempotency-Key must be 1-255 visible ASCII characters', {
      param: 'Idempotency-Key',
      code: 'invalid_header',
    });
  }
  const apiKey = c.get('apiKey');
  const { job } = await createJob(c.env, apiKey, native.request, {
    idempotencyKey,
    requestHash,
    attachments: native.attachments,
    paramName: native.paramName,
  });
  if (options.stream) return streamImageJob(c, job, apiKey.tenant, { kind: options.stream, timeoutMs: SYNC_WAIT_MS });
  const done = await waitForJob(c.env, job, apiKey.tenant, SYNC_WAIT_MS);
  if (!done) throw jobNotFound(job.id);
  return imagesResponse(c, done, { responseFormat: options.responseFormat, revisedPrompt: options.revisedPrompt });
}

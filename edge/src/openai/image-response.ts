import { jobErrorType } from '@kandinsky/protocol';
import type { Context } from 'hono';
import type { z } from 'zod';
import { readConfig } from '../config';
import { ApiError } from '../errors/api-error';
import type { JobRecord } from '../jobs/types';
import { toBase64 } from '../lib/crypto';
import type { imagesResponseSchema } from '../schemas/images-response';
import { bucketFromConfig } from '../storage/bucket-from-config';
import type { AppEnv } from '../types';

/** OpenAI's images response body (schemas/images-response.ts). */
export type ImagesResponse = z.infer<typeof imagesResponseSchema>;

/**
 * The ApiError for an OpenAI-style request whose job did not produce images: a failure the request caused (an image
 * the decoder could not read) is the client's 400, anything else ours (500); cancelled 409; not finished in time 504
 * (the job id is in the message, so the client can follow it). Null when the job succeeded.
 */
export function unfinishedJobError(done: JobRecord): ApiError | null {
  if (done.status === 'failed') {
    const code = done.error?.code ?? 'generation_failed';
    const clientFault = jobErrorType(code) === 'invalid_request_error';
    return new ApiError(
      clientFault ? 400 : 500,
      `Image generation failed (job ${done.id}): ${done.error?.message ?? 'unknown error'}`,
      { code },
    );
  }
  if (done.status === 'cancelled') return new ApiError(409, `Job ${done.id} was cancelled.`, { code: 'job_cancelled' });
  if (done.status !== 'succeeded' || !done.result) {
    return new ApiError(504, `The image is not ready yet; follow it at /v1/jobs/${done.id}.`, {
      type: 'server_error',
      code: 'generation_timeout',
    });
  }
  return null;
}

/**
 * OpenAI's images response for a finished job: `{ created, data: [{ url } | { b64_json }] }` (signed URLs that expire
 * after RESULT_URL_TTL_SECONDS, or the bytes), with `revised_prompt` when given, and the job id in `x-job-id`.
 * @throws ApiError when the job did not succeed ({@link unfinishedJobError}).
 */
export async function imagesResponse(
  c: Context<AppEnv>,
  done: JobRecord,
  options: { responseFormat: 'url' | 'b64_json'; revisedPrompt?: string },
): Promise<Response> {
  const problem = unfinishedJobError(done);
  if (problem) throw problem;
  const config = readConfig(c.env);
  const store = bucketFromConfig(config);
  const revised = options.revisedPrompt === undefined ? {} : { revised_prompt: options.revisedPrompt };
  const data = await Promise.all(
    done.result!.images.map(async (image) =>
      options.responseFormat === 'b64_json'
        ? { b64_json: toBase64(await store.get(image.key)), ...revised }
        : { url: await store.presignGet(image.key, config.resultUrlTtlSeconds), ...revised },
    ),
  );
  c.header('x-job-id', done.id);
  const body: ImagesResponse = { created: Math.floor(done.created_at / 1000), data };
  return c.json(body);
}

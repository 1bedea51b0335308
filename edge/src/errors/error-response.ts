import type { Context } from 'hono';
import { BucketError, type BucketFailure } from '../storage/bucket-error';
import { ApiError } from './api-error';

/**
 * Turns any thrown value into the OpenAI error shape. Unknown errors become a 500 whose message does not leak
 * internals; the request id in the response lets operators find the logged cause.
 * @example app.onError(errorResponse);
 */
export function errorResponse(err: unknown, c: Context): Response {
  const apiError = toApiError(err);
  // Deliberate answers (429, 503 queue_full, ...) are not incidents; unexpected errors and failed dependencies are.
  const deliberate = err instanceof ApiError || err instanceof BucketError;
  if (apiError.status >= 500 && (!deliberate || apiError.cause !== undefined)) {
    console.error(
      JSON.stringify({
        level: 'error',
        request_id: c.get('requestId'),
        message: String(err),
        stack: (err as Error)?.stack,
      }),
    );
  }
  const response = c.json(apiError.toJSON(), apiError.status);
  for (const [name, value] of Object.entries(apiError.headers)) response.headers.set(name, value);
  return response;
}

/** Normalises errors, including ones that crossed a Durable Object RPC boundary (their class is lost there). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BucketError) return bucketApiError(err);
  const remote = parseRemoteApiError(err);
  if (remote) return remote;
  return new ApiError(500, 'The server had an error while processing your request.', {
    code: 'internal_error',
    cause: err,
  });
}

/** The HTTP answer to each bucket failure; a failed call keeps its detail as the (logged) cause. */
const BUCKET_ANSWERS: Record<BucketFailure, { status: 502 | 503; message: string; code: string; logged: boolean }> = {
  put_failed: { status: 502, message: 'Could not store the input image.', code: 'storage_error', logged: true },
  get_failed: { status: 502, message: 'Could not read a result image.', code: 'storage_error', logged: true },
  not_configured: {
    status: 503,
    message: 'Object storage is not configured on this gateway.',
    code: 'storage_not_configured',
    logged: false,
  },
};

function bucketApiError(err: BucketError): ApiError {
  const answer = BUCKET_ANSWERS[err.failure];
  return new ApiError(answer.status, answer.message, {
    code: answer.code,
    cause: answer.logged ? new Error(err.message) : undefined,
  });
}

/** Prefix used to carry an {@link ApiError} through Durable Object RPC, which only preserves `message`. */
export const REMOTE_ERROR_PREFIX = 'ApiError:';

/** Encodes an ApiError so it survives a Durable Object RPC throw. */
export function remoteApiError(error: ApiError): Error {
  return new Error(
    REMOTE_ERROR_PREFIX + JSON.stringify({ status: error.status, ...error.toJSON().error, headers: error.headers }),
  );
}

function parseRemoteApiError(err: unknown): ApiError | null {
  if (!(err instanceof Error) || !err.message.startsWith(REMOTE_ERROR_PREFIX)) return null;
  try {
    const data = JSON.parse(err.message.slice(REMOTE_ERROR_PREFIX.length));
    return new ApiError(data.status, data.message, {
      type: data.type,
      code: data.code,
      param: data.param,
      headers: data.headers,
    });
  } catch {
    return null;
  }
}

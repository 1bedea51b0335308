import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { API_ERROR_TYPES, errorBodySchema } from '../schemas/error-body';

/** The `type` field of an OpenAI-shaped error. */
export type ApiErrorType = (typeof API_ERROR_TYPES)[number];

/** The body of every error response. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Options for {@link ApiError}. */
export interface ApiErrorOptions {
  type?: ApiErrorType;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

const defaultTypes: Record<number, ApiErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'service_unavailable_error',
};

/**
 * The one error type of the gateway. Thrown anywhere; turned into
 * `{ error: { message, type, param, code } }` by the app's error handler.
 * @example throw new ApiError(404, 'No job with id job_x', { code: 'job_not_found', param: 'id' });
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly type: ApiErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.type = options.type ?? defaultTypes[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  /** The JSON body sent to clients. */
  toJSON(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

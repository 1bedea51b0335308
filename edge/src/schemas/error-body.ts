import { z } from 'zod';

/** The `type` field of an OpenAI-shaped error. */
export const API_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'conflict_error',
  'rate_limit_error',
  'server_error',
  'service_unavailable_error',
] as const;

/**
 * The body of every error response, `{ error: { message, type, param, code } }`: the type of ApiError.toJSON and the
 * OpenAPI document's `Error` schema both come from here.
 */
export const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.enum(API_ERROR_TYPES),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

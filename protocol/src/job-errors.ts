/**
 * The failure codes a job can end with, and whose fault each is. A failure the request caused is never retried and is
 * reported to the client as an `invalid_request_error`; the edge's validation exists so that these stay rare (an image
 * that passes the structural check but that the decoder still cannot read, say).
 */
export const JOB_ERROR_CODES = {
  /** An input image could not be decoded (truncated, inconsistent, unsupported variant). The client's fault. */
  invalid_image: 'client',
  /** The parameters broke the request contract (a runner re-check). The client's fault. */
  invalid_request: 'client',
  /** The client cancelled the job. */
  cancelled: 'client',
  /** An input object was missing from the bucket (expired or deleted). Not retried. */
  input_missing: 'server',
  /** The runner cannot serve this task (e.g. no inpainting U-Net). Retried on another runner. */
  unsupported_task: 'server',
  /** Reading inputs or writing results failed. Retried. */
  storage_error: 'server',
  /** Anything else that went wrong on a runner. Retried. */
  runner_error: 'server',
  /** Every attempt failed or expired. */
  attempts_exhausted: 'server',
} as const satisfies Record<string, 'client' | 'server'>;

/** A failure code of {@link JOB_ERROR_CODES}. */
export type JobErrorCode = keyof typeof JOB_ERROR_CODES;

/** The OpenAI error type for a job's failure code: unknown codes count as the server's. */
export function jobErrorType(code: string): 'invalid_request_error' | 'server_error' {
  return (JOB_ERROR_CODES as Record<string, string>)[code] === 'client' ? 'invalid_request_error' : 'server_error';
}

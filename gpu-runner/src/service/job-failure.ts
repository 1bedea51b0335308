import type { JobError, JobErrorCode } from '@kandinsky/protocol';
import { PipelineParamError } from '../pipelines/pipeline-errors.js';
import { MissingObjectError, StorageError } from './object-store.js';

/** A job this runner refuses for the request's own fault (e.g. leased parameters that break the contract). */
export class JobRefusedError extends Error {
  override readonly name = 'JobRefusedError';
  constructor(
    readonly code: Extract<JobErrorCode, 'invalid_request' | 'invalid_image'>,
    message: string,
  ) {
    super(message);
  }
}

/** How a failed job is reported on `/fail`: its error, and whether another attempt may succeed. */
export interface JobFailure {
  error: JobError;
  retryable: boolean;
}

/**
 * The one mapping from what went wrong to the job's failure code (`@kandinsky/protocol` JOB_ERROR_CODES). The request's
 * faults (`invalid_request`, `invalid_image`) are never retried, so a bad request costs one attempt and ends as a
 * client error, never as `server_error` after burning GPU time; a missing input object is not retried either; a
 * runner that cannot serve the task, storage trouble and anything unexpected are retried (elsewhere, maybe).
 */
export function classifyFailure(err: unknown): JobFailure {
  if (err instanceof JobRefusedError) return { error: { code: err.code, message: err.message }, retryable: false };
  if (err instanceof PipelineParamError) {
    return { error: { code: err.code, message: err.message }, retryable: err.code === 'unsupported_task' };
  }
  if (err instanceof MissingObjectError)
    return { error: { code: 'input_missing', message: err.message }, retryable: false };
  if (err instanceof StorageError) return { error: { code: 'storage_error', message: err.message }, retryable: true };
  const e = err as Error;
  return {
    error: { code: 'runner_error', message: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` },
    retryable: true,
  };
}

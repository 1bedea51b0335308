/**
 * Why a request was refused, for the runner's job failure codes (`@kandinsky/protocol` JOB_ERROR_CODES):
 * `invalid_request` (a parameter), `invalid_image` (an input image), `unsupported_task` (this model folder cannot).
 */
export type PipelineParamErrorCode = 'invalid_request' | 'invalid_image' | 'unsupported_task';

/** A request the pipelines refuse, found before any compute. `param` names the field as the request did. */
export class PipelineParamError extends Error {
  override readonly name = 'PipelineParamError';
  readonly code: PipelineParamErrorCode;
  constructor(
    readonly param: string,
    message: string,
    options: { code?: PipelineParamErrorCode } = {},
  ) {
    super(`${param}: ${message}`);
    this.code = options.code ?? 'invalid_request';
  }
}

/** The generation was cancelled (its AbortSignal fired); raised between steps, after every tensor was released. */
export class GenerationCancelledError extends Error {
  override readonly name = 'GenerationCancelledError';
  readonly code = 'cancelled';
  constructor(readonly stage: string) {
    super(`generation cancelled during ${stage}`);
  }
}

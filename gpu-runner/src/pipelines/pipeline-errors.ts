/** A request parameter the pipelines refuse, found before any compute. `param` names it as the runner protocol does. */
export class PipelineParamError extends Error {
  override readonly name = 'PipelineParamError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
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

/** What kind of problem a {@link TokenizerError} reports, for callers that map errors to responses. */
export type TokenizerErrorCode =
  /** The prompt is not a string, or is not well-formed UTF-16 (a lone surrogate). */
  | 'invalid-text'
  /** The prompt has more characters than the tokenizer's `maxPromptChars`. */
  | 'prompt-too-long'
  /** The prompt has more tokens than fit and the caller asked for `overflow: 'error'`. */
  | 'too-many-tokens'
  /** An option has a value the tokenizer cannot honour (e.g. `maxLength` < 2). */
  | 'invalid-option';

/**
 * A prompt (or an option) the tokenizer refuses. The message says which prompt of the batch and what is wrong, so it
 * can be shown to the user as is. Problems with tokenizer *files* are `ModelFileError`s instead.
 */
export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

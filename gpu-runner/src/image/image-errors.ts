/** Why a user image was refused. */
export type ImageInputErrorCode = 'unsupported_format' | 'corrupt' | 'too_large' | 'empty';

/**
 * A user-supplied image that cannot be used: its `code` is stable (for API error bodies), its message says what was
 * found. Never thrown for internal bugs.
 */
export class ImageInputError extends Error {
  constructor(
    readonly code: ImageInputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

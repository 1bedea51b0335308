import { ImageBytesError, type ImageBytesErrorCode } from '@kandinsky/protocol/image-bytes';

/**
 * Why a user image was refused: the codes of the shared structural check (`@kandinsky/protocol/image-bytes`), which
 * the decoders here use too (`truncated`, `excess_data`, `corrupt`, ... for data that does not match its headers).
 */
export type ImageInputErrorCode = ImageBytesErrorCode;

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

/** Runs `read` (a structural reader of the shared check) and rethrows its ImageBytesError as an ImageInputError. */
export function readImageBytes<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw toImageInputError(err);
  }
}

/** The ImageInputError of a shared-check refusal; anything else is returned unchanged (it is a bug, not bad input). */
export function toImageInputError(err: unknown): unknown {
  return err instanceof ImageBytesError ? new ImageInputError(err.code, err.message) : err;
}

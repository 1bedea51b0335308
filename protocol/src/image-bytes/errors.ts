/**
 * Why image bytes were refused. Stable: the edge maps them to API error codes and the runner reports them.
 * - `empty`: zero bytes.
 * - `file_too_large`: more bytes than {@link ImageLimits.maxBytes}.
 * - `unsupported_format`: not PNG, JPEG or WebP, or a variant of them no decoder here reads (animated WebP, CMYK
 *   JPEG, arithmetic-coded or 12-bit JPEG, ...).
 * - `too_large`: more pixels than {@link ImageLimits.maxPixels}.
 * - `bad_dimensions`: a side outside {@link ImageLimits.minSide}..{@link ImageLimits.maxSide}.
 * - `truncated`: the data ends before what its headers declare (a short zlib stream, a missing EOI, a cut chunk).
 * - `excess_data`: the data holds more than its headers declare (extra scanlines, bytes after the zlib stream).
 * - `bad_checksum`: a CRC or Adler-32 does not match.
 * - `corrupt`: any other inconsistency (bad header fields, chunk order, filter types, palette indices, ...).
 */
export type ImageBytesErrorCode =
  | 'empty'
  | 'file_too_large'
  | 'unsupported_format'
  | 'too_large'
  | 'bad_dimensions'
  | 'truncated'
  | 'excess_data'
  | 'bad_checksum'
  | 'corrupt';

/** Image bytes refused by {@link inspectImageBytes} (or a decoder built on this module): a stable `code`, a message that says what was found. */
export class ImageBytesError extends Error {
  constructor(
    readonly code: ImageBytesErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageBytesError';
  }
}

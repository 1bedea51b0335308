import { ImageBytesError } from './errors.js';
import { verifyJpegScans } from './jpeg-scans.js';
import { readJpegStructure } from './jpeg-structure.js';
import { IMAGE_LIMITS, type ImageLimits } from './limits.js';
import { verifyPngImageData } from './png-image-data.js';
import { readPngStructure } from './png-structure.js';
import { sniffImageFormat } from './sniff-format.js';
import { readWebpStructure } from './webp-structure.js';

/** The formats user images may come in. */
export type InputImageFormat = 'png' | 'jpeg' | 'webp';

/** What {@link inspectImageBytes} found in bytes it accepted. */
export interface ImageBytesInfo {
  format: InputImageFormat;
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/**
 * Refuses a size outside the limits: sides first (`bad_dimensions`), then the pixel count (`too_large`).
 * @throws ImageBytesError
 */
export function checkImageSize(width: number, height: number, limits: ImageLimits): void {
  if (width < limits.minSide || height < limits.minSide || width > limits.maxSide || height > limits.maxSide) {
    throw new ImageBytesError(
      'bad_dimensions',
      `image is ${width}x${height}; each side must be between ${limits.minSide} and ${limits.maxSide} pixels`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw new ImageBytesError(
      'too_large',
      `image is ${width}x${height} = ${width * height} pixels; the limit is ${limits.maxPixels}`,
    );
  }
}

/**
 * The one check both sides run on a user image's bytes before trusting them: the edge refuses what fails it (400,
 * before the job is queued), the runner runs it again before decoding. Identifies PNG, JPEG or WebP by content (never
 * by a declared type), applies `limits` from the headers before any data is inflated, then holds the file to its own
 * headers: PNG chunks, CRCs and an image data stream that inflates to exactly the declared rows (bounded, so a zip
 * bomb costs nothing), JPEG markers from SOI through EOI and scan data that Huffman-decodes to every MCU, WebP RIFF and chunk sizes and canvas vs bitstream size.
 * Pure TypeScript over `Uint8Array` (its own bounded inflater, no runtime API): runs unchanged in Workers and Node.
 * Async so callers need not change if it ever yields to the event loop on large files.
 * @throws ImageBytesError (nothing else) for every refused file.
 * @example await inspectImageBytes(bytes) // { format: 'png', contentType: 'image/png', width: 512, height: 512 }
 */
export async function inspectImageBytes(
  bytes: Uint8Array,
  limits: Readonly<ImageLimits> = IMAGE_LIMITS,
): Promise<ImageBytesInfo> {
  if (bytes.length === 0) throw new ImageBytesError('empty', 'the image file is empty');
  if (bytes.length > limits.maxBytes) {
    throw new ImageBytesError('file_too_large', `image file is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  const format = sniffImageFormat(bytes);
  const info = (width: number, height: number): ImageBytesInfo => {
    if (format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new Error('unreachable');
    return { format, contentType: CONTENT_TYPES[format], width, height };
  };
  try {
    switch (format) {
      case 'png': {
        const png = readPngStructure(bytes);
        checkImageSize(png.header.width, png.header.height, limits);
        verifyPngImageData(png);
        return info(png.header.width, png.header.height);
      }
      case 'jpeg': {
        const jpeg = readJpegStructure(bytes);
        checkImageSize(jpeg.width, jpeg.height, limits);
        verifyJpegScans(jpeg);
        return info(jpeg.width, jpeg.height);
      }
      case 'webp': {
        const webp = readWebpStructure(bytes);
        checkImageSize(webp.width, webp.height, limits);
        return info(webp.width, webp.height);
      }
      case 'unknown':
        throw new ImageBytesError('unsupported_format', 'not a recognized image file (expected PNG, JPEG or WebP)');
      default:
        throw new ImageBytesError(
          'unsupported_format',
          `${format.toUpperCase()} images are not supported; send PNG, JPEG or WebP`,
        );
    }
  } catch (err) {
    if (err instanceof ImageBytesError) throw err;
    // A bug here must not turn a bad upload into a server error: whatever the check tripped on, the file is refused.
    throw new ImageBytesError('corrupt', `unreadable ${format.toUpperCase()} file (${(err as Error)?.message ?? err})`);
  }
}

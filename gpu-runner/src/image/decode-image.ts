import { applyExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import { decodeJpegToRgb, readJpegHeader } from './jpeg-decode.js';
import { decodePngToRgb, readPngHeader } from './png-decode.js';
import type { Raster } from './raster.js';
import { sniffImageFormat } from './sniff-format.js';
import { decodeWebpToRgb, readWebpHeader } from './webp-codec.js';

/** Default pixel cap: 4096 x 4096. Larger uploads are refused before any pixel is decoded. */
export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
}

/**
 * Decodes an uploaded image file to upright 8-bit RGB, as diffusers' `load_image` does for the reference pipelines
 * (`ImageOps.exif_transpose`, then `convert("RGB")`: alpha dropped, gray replicated, palette looked up).
 * PNG, JPEG (libjpeg-turbo via MozJPEG wasm) and WebP (libwebp wasm) decode byte-identically to Pillow; GIF, BMP,
 * TIFF and AVIF are refused with `unsupported_format`. Every failure is an {@link ImageInputError}.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeImageOptions = {}): Promise<Raster> {
  if (bytes.length === 0) throw new ImageInputError('empty', 'the image file is empty');
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const format = sniffImageFormat(bytes);
  const checkSize = (width: number, height: number) => {
    if (width === 0 || height === 0)
      throw new ImageInputError('corrupt', `image has a zero dimension (${width}x${height})`);
    if (width * height > maxPixels) {
      throw new ImageInputError(
        'too_large',
        `image is ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels}`,
      );
    }
  };
  switch (format) {
    case 'png': {
      const header = readPngHeader(bytes);
      checkSize(header.width, header.height);
      return applyExifOrientation(decodePngToRgb(bytes, header), header.orientation);
    }
    case 'jpeg': {
      const header = readJpegHeader(bytes);
      checkSize(header.width, header.height);
      return applyExifOrientation(await decodeJpegToRgb(bytes, header), header.orientation);
    }
    case 'webp': {
      const header = readWebpHeader(bytes);
      checkSize(header.width, header.height);
      if (header.animated) throw new ImageInputError('unsupported_format', 'animated WebP images are not supported');
      return applyExifOrientation(await decodeWebpToRgb(bytes), header.orientation);
    }
    case 'unknown':
      throw new ImageInputError('unsupported_format', 'not a recognized image file (expected PNG, JPEG or WebP)');
    default:
      throw new ImageInputError(
        'unsupported_format',
        `${format.toUpperCase()} images are not supported; send PNG, JPEG or WebP`,
      );
  }
}

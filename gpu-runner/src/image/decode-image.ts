import { IMAGE_LIMITS, inspectImageBytes } from '@kandinsky/protocol/image-bytes';
import { applyExifOrientation } from './exif-orientation.js';
import { toImageInputError } from './image-errors.js';
import { decodeJpegToRgb, readJpegHeader } from './jpeg-decode.js';
import { decodePngToRgb } from './png-decode.js';
import type { Raster } from './raster.js';
import { decodeWebpToRgb, readWebpHeader } from './webp-codec.js';

/** Default pixel cap: the shared limit (`IMAGE_LIMITS.maxPixels`, 4096 x 4096) the edge also applies. */
export const DEFAULT_MAX_IMAGE_PIXELS = IMAGE_LIMITS.maxPixels;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
}

/**
 * Decodes an uploaded image file to upright 8-bit RGB, as diffusers' `load_image` does for the reference pipelines
 * (`ImageOps.exif_transpose`, then `convert("RGB")`: alpha dropped, gray replicated, palette looked up).
 * The bytes first go through the structural check the edge runs (`inspectImageBytes`), so anything the edge would
 * refuse is refused here with the same code; the pixel cap applies, the edge's side limits and byte limit do not (the
 * CLI and tests decode small and large local files). PNG (own decoder), JPEG (libjpeg-turbo via MozJPEG wasm) and
 * WebP (libwebp wasm) decode byte-identically to Pillow; GIF, BMP, TIFF and AVIF are refused with
 * `unsupported_format`. Every failure is an {@link ImageInputError}; no pixel ever comes from memory a decoder did
 * not fill.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeImageOptions = {}): Promise<Raster> {
  const limits = {
    maxBytes: Number.POSITIVE_INFINITY,
    minSide: 1,
    maxSide: Number.POSITIVE_INFINITY,
    maxPixels: opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS,
  };
  let format: 'png' | 'jpeg' | 'webp';
  try {
    ({ format } = await inspectImageBytes(bytes, limits));
  } catch (err) {
    throw toImageInputError(err);
  }
  switch (format) {
    case 'png': {
      const { image, orientation } = decodePngToRgb(bytes);
      return applyExifOrientation(image, orientation);
    }
    case 'jpeg': {
      const header = readJpegHeader(bytes);
      return applyExifOrientation(await decodeJpegToRgb(bytes, header), header.orientation);
    }
    case 'webp': {
      const header = readWebpHeader(bytes);
      return applyExifOrientation(await decodeWebpToRgb(bytes, header), header.orientation);
    }
  }
}

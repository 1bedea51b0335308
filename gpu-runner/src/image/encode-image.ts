import jpeg from 'jpeg-js';
import { encodePng } from './png-encode.js';
import type { Raster } from './raster.js';
import { encodeWebp } from './webp-codec.js';

/** Output formats the service can return. */
export type OutputFormat = 'png' | 'jpeg' | 'webp';

export interface EncodeImageOptions {
  /** JPEG/WebP quality 1..100 (default 95; WebP 100 = lossless). */
  quality?: number;
  /** Generation parameters, stored as a `parameters` JSON text entry (PNG iTXt, JPEG comment). */
  parameters?: unknown;
}

/** MIME type of each output format. */
export const OUTPUT_CONTENT_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/**
 * Encodes a generated RGB image. PNG is lossless and carries the parameters in an iTXt chunk; JPEG (jpeg-js, 4:2:0)
 * carries them in a COM segment; WebP (libwebp via wasm) carries none (the encoder writes no metadata chunks).
 */
export async function encodeImage(
  image: Raster,
  format: OutputFormat,
  opts: EncodeImageOptions = {},
): Promise<Uint8Array> {
  const parameters = opts.parameters === undefined ? undefined : JSON.stringify(opts.parameters);
  const quality = opts.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new RangeError(`quality must be 1..100, got ${quality}`);
  switch (format) {
    case 'png':
      return encodePng(image, parameters === undefined ? {} : { parameters });
    case 'jpeg': {
      const rgba = new Uint8Array(image.width * image.height * 4);
      for (let p = 0; p < image.width * image.height; p++) {
        rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
        rgba[p * 4 + 3] = 255;
      }
      // jpeg-js writes comments as Latin-1 char codes: keep the JSON ASCII with \uXXXX escapes (still valid JSON).
      const comments = parameters === undefined ? undefined : [`parameters: ${asciiJson(parameters)}`];
      return new Uint8Array(
        jpeg.encode({ width: image.width, height: image.height, data: rgba, comments }, quality).data,
      );
    }
    case 'webp':
      return encodeWebp(image, quality);
    default:
      throw new Error(`unknown output format ${JSON.stringify(format)}`);
  }
}

/** Escapes every non-ASCII UTF-16 unit of a JSON text as `\uXXXX`. */
function asciiJson(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbImage } from './image-generator.js';
import { InvalidRequestError } from './image-generator.js';

/** Output formats the runner can write. WebP has no encoder here and is refused explicitly. */
export const OUTPUT_CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg' } as const;

/** An encoded image ready to upload. */
export interface EncodedImage {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
  extension: 'png' | 'jpg';
}

/**
 * Encodes an RGB image as PNG (lossless) or JPEG (quality 92).
 * @throws InvalidRequestError for formats without an encoder (webp).
 */
export function encodeImage(image: RgbImage, format: string): EncodedImage {
  const rgba = toRgba(image);
  if (format === 'png') {
    const png = new PNG({ width: image.width, height: image.height, colorType: 6 });
    png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    return { bytes: new Uint8Array(PNG.sync.write(png)), contentType: 'image/png', extension: 'png' };
  }
  if (format === 'jpeg') {
    const out = jpeg.encode({ data: rgba, width: image.width, height: image.height }, 92);
    return { bytes: new Uint8Array(out.data), contentType: 'image/jpeg', extension: 'jpg' };
  }
  throw new InvalidRequestError(
    `output_format "${format}" is not supported by this runner (png and jpeg are)`,
    'unsupported_output_format',
  );
}

/**
 * Decodes an input image (PNG or JPEG) to RGB; alpha is composited over white, as a viewer would show it.
 * @throws InvalidRequestError for other formats or corrupt data.
 */
export function decodeImage(bytes: Uint8Array, what: string): RgbImage {
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      rgba = {
        width: png.width,
        height: png.height,
        data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
      };
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    } else {
      throw new InvalidRequestError(
        `${what} is not a PNG or JPEG image (WebP inputs are not supported by this runner)`,
        'unsupported_image_format',
      );
    }
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    throw new InvalidRequestError(`${what} could not be decoded: ${(err as Error).message}`, 'invalid_image');
  }
  const rgb = new Uint8Array(rgba.width * rgba.height * 3);
  for (let i = 0, j = 0; i < rgba.data.length; i += 4, j += 3) {
    const a = rgba.data[i + 3] / 255;
    rgb[j] = Math.round(rgba.data[i] * a + 255 * (1 - a));
    rgb[j + 1] = Math.round(rgba.data[i + 1] * a + 255 * (1 - a));
    rgb[j + 2] = Math.round(rgba.data[i + 2] * a + 255 * (1 - a));
  }
  return { width: rgba.width, height: rgba.height, data: rgb };
}

function toRgba(image: RgbImage): Uint8Array {
  if (image.data.length !== image.width * image.height * 3) {
    throw new Error(`RGB image of ${image.width}x${image.height} has ${image.data.length} bytes`);
  }
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0, j = 0; j < image.data.length; i += 4, j += 3) {
    rgba[i] = image.data[j];
    rgba[i + 1] = image.data[j + 1];
    rgba[i + 2] = image.data[j + 2];
    rgba[i + 3] = 255;
  }
  return rgba;
}

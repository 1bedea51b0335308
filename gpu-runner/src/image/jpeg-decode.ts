import jpeg from 'jpeg-js';
import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import { type Raster, rasterFrom } from './raster.js';

/** What a JPEG's marker segments say, read before decoding. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  orientation: ExifOrientation;
}

/** Start-of-frame markers (baseline, extended, progressive, lossless; not DHT/JPG/DAC). */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const EXIF_PREFIX = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

/** Scans the marker segments up to the first scan for the frame size and an EXIF orientation. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  let pos = 2;
  let orientation: ExifOrientation = 1;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new ImageInputError('corrupt', 'JPEG marker expected');
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const segment = bytes.subarray(pos + 4, pos + 2 + length);
    if (marker === 0xe1 && EXIF_PREFIX.every((v, i) => segment[i] === v)) {
      orientation = readExifOrientation(segment.subarray(EXIF_PREFIX.length));
    } else if (SOF_MARKERS.has(marker)) {
      if (segment.length < 6) break;
      return {
        height: (segment[1] << 8) | segment[2],
        width: (segment[3] << 8) | segment[4],
        components: segment[5],
        orientation,
      };
    } else if (marker === 0xda) {
      break;
    }
    pos += 2 + length;
  }
  throw new ImageInputError('corrupt', 'JPEG has no frame header');
}

/**
 * Decodes a grayscale or YCbCr JPEG to RGB with jpeg-js. Not bit-exact with the reference (Pillow uses libjpeg-turbo;
 * IDCT and chroma upsampling differ slightly, see the tests for the measured difference). CMYK/YCCK JPEGs are refused.
 */
export function decodeJpegToRgb(bytes: Uint8Array, header: JpegHeader): Raster {
  if (header.components !== 1 && header.components !== 3) {
    throw new ImageInputError(
      'unsupported_format',
      `JPEG with ${header.components} colour components (CMYK?) is not supported`,
    );
  }
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil((header.width * header.height) / 1e6) + 1,
      maxMemoryUsageInMB: 2048,
    });
    return rasterFrom(img.width, img.height, 3, img.data);
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    throw new ImageInputError('corrupt', `unreadable JPEG: ${(err as Error).message}`);
  }
}

import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import type { Raster } from './raster.js';
import { rgbFromWasmImage, squooshCodec, type WasmImageData } from './wasm-module.js';

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

type DecodeFn = (buffer: ArrayBuffer, options: { preserveOrientation: boolean }) => Promise<WasmImageData>;

/** MozJPEG's decoder (libjpeg-turbo's) compiled to wasm, loaded on first use. */
const loadDecoder = squooshCodec<DecodeFn>(
  () => import('@jsquash/jpeg/decode.js'),
  () => '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
);

/**
 * Decodes a grayscale or YCbCr JPEG to RGB with libjpeg-turbo's decoder (MozJPEG via `@jsquash/jpeg`): the same
 * library and default settings (islow IDCT, fancy upsampling) as Pillow, so the pixels match the reference. EXIF
 * orientation is left to the caller. CMYK/YCCK JPEGs are refused.
 */
export async function decodeJpegToRgb(bytes: Uint8Array, header: JpegHeader): Promise<Raster> {
  if (header.components !== 1 && header.components !== 3) {
    throw new ImageInputError(
      'unsupported_format',
      `JPEG with ${header.components} colour components (CMYK?) is not supported`,
    );
  }
  const decode = await loadDecoder();
  let img: WasmImageData;
  try {
    img = await decode(bytes.slice().buffer, { preserveOrientation: false });
  } catch (err) {
    throw new ImageInputError('corrupt', `unreadable JPEG: ${(err as Error).message}`);
  }
  if (img.width !== header.width || img.height !== header.height) {
    throw new ImageInputError(
      'corrupt',
      `JPEG decoded to ${img.width}x${img.height}, header says ${header.width}x${header.height}`,
    );
  }
  return rgbFromWasmImage(img);
}

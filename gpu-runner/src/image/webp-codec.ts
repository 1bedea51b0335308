import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import type { Raster } from './raster.js';
import { rgbFromWasmImage, squooshCodec, type WasmImageData } from './wasm-module.js';

/**
 * WebP through libwebp compiled to wasm (`@jsquash/webp`, Squoosh's build). The wasm modules are compiled from the
 * package's files on first use (the package's default loader fetches them by URL, which Node cannot do).
 */

type DecodeFn = (buffer: ArrayBuffer) => Promise<WasmImageData>;
type EncodeFn = (image: WasmImageData, options: Record<string, number>) => Promise<ArrayBuffer>;

const loadDecoder = squooshCodec<DecodeFn>(
  () => import('@jsquash/webp/decode.js'),
  () => '@jsquash/webp/codec/dec/webp_dec.wasm',
);

const loadEncoder = squooshCodec<EncodeFn>(
  () => import('@jsquash/webp/encode.js'),
  // init() picks the SIMD build when the runtime has SIMD; hand it the matching module.
  async () => {
    const { simd } = await import('wasm-feature-detect');
    return (await simd()) ? '@jsquash/webp/codec/enc/webp_enc_simd.wasm' : '@jsquash/webp/codec/enc/webp_enc.wasm';
  },
);

/** What a WebP file's RIFF chunks say, read before decoding (the canvas size for the pixel cap, EXIF orientation). */
export function readWebpHeader(bytes: Uint8Array): {
  width: number;
  height: number;
  orientation: ExifOrientation;
  animated: boolean;
} {
  const fourcc = String.fromCharCode(...bytes.subarray(12, 16));
  const b = (i: number) => bytes[i] ?? 0;
  let size: { width: number; height: number };
  if (fourcc === 'VP8X') {
    size = { width: 1 + (b(24) | (b(25) << 8) | (b(26) << 16)), height: 1 + (b(27) | (b(28) << 8) | (b(29) << 16)) };
  } else if (fourcc === 'VP8L') {
    const bits = b(21) | (b(22) << 8) | (b(23) << 16) | (b(24) << 24);
    size = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  } else if (fourcc === 'VP8 ') {
    size = { width: (b(26) | (b(27) << 8)) & 0x3fff, height: (b(28) | (b(29) << 8)) & 0x3fff };
  } else {
    throw new ImageInputError('corrupt', `unrecognized WebP chunk "${fourcc}"`);
  }
  // An EXIF chunk (extended format only) holds TIFF data, sometimes behind an "Exif\0\0" prefix.
  let orientation: ExifOrientation = 1;
  for (let pos = 12; fourcc === 'VP8X' && pos + 8 <= bytes.length; ) {
    const type = String.fromCharCode(...bytes.subarray(pos, pos + 4));
    const length = b(pos + 4) | (b(pos + 5) << 8) | (b(pos + 6) << 16) | (b(pos + 7) << 24);
    if (type === 'EXIF') {
      const data = bytes.subarray(pos + 8, pos + 8 + length);
      const prefixed = String.fromCharCode(...data.subarray(0, 4)) === 'Exif';
      orientation = readExifOrientation(prefixed ? data.subarray(6) : data);
      break;
    }
    pos += 8 + length + (length & 1);
  }
  // VP8X flags byte: bit 1 = animation.
  const animated = fourcc === 'VP8X' && (b(20) & 0x02) !== 0;
  return { ...size, orientation, animated };
}

/** Decodes a (still) WebP to RGB, dropping alpha as PIL's `convert("RGB")` does. */
export async function decodeWebpToRgb(bytes: Uint8Array): Promise<Raster> {
  const decode = await loadDecoder();
  let img: WasmImageData;
  try {
    img = await decode(bytes.slice().buffer);
  } catch (err) {
    throw new ImageInputError('corrupt', `unreadable WebP: ${(err as Error).message}`);
  }
  return rgbFromWasmImage(img);
}

/** Encodes RGB as lossy WebP at `quality` (0..100), or lossless when `quality` is 100. */
export async function encodeWebp(image: Raster, quality: number): Promise<Uint8Array> {
  const encode = await loadEncoder();
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  const buffer = await encode(
    { width: image.width, height: image.height, data: rgba },
    quality >= 100 ? { lossless: 1, quality: 100 } : { quality },
  );
  return new Uint8Array(buffer);
}

import { readWebpStructure } from '@kandinsky/protocol/image-bytes';
import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError, readImageBytes } from './image-errors.js';
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

/** What a WebP file's RIFF chunks say, read before decoding (the size for the pixel cap, EXIF orientation). */
export interface WebpHeader {
  width: number;
  height: number;
  orientation: ExifOrientation;
}

/**
 * Reads the size and EXIF orientation through the shared structure reader, which checks the RIFF and chunk sizes,
 * the VP8X canvas against the bitstream, and refuses animations (`unsupported_format`).
 */
export function readWebpHeader(bytes: Uint8Array): WebpHeader {
  const webp = readImageBytes(() => readWebpStructure(bytes));
  // An EXIF chunk (extended format only) holds TIFF data, sometimes behind an "Exif\0\0" prefix.
  const exif = webp.chunks.find((c) => c.type === 'EXIF')?.data;
  const prefixed = exif !== undefined && String.fromCharCode(...exif.subarray(0, 4)) === 'Exif';
  return {
    width: webp.width,
    height: webp.height,
    orientation: exif ? readExifOrientation(prefixed ? exif.subarray(6) : exif) : 1,
  };
}

/**
 * Decodes a (still) WebP to RGB, dropping alpha as PIL's `convert("RGB")` does. libwebp refuses bitstreams that end
 * early; output of another size or length than the header declares is refused here.
 */
export async function decodeWebpToRgb(bytes: Uint8Array, header: WebpHeader): Promise<Raster> {
  const decode = await loadDecoder();
  let img: WasmImageData;
  try {
    img = await decode(bytes.slice().buffer);
  } catch (err) {
    throw new ImageInputError('corrupt', `unreadable WebP: ${(err as Error).message}`);
  }
  if (img.width !== header.width || img.height !== header.height) {
    throw new ImageInputError(
      'corrupt',
      `WebP decoded to ${img.width}x${img.height}, header says ${header.width}x${header.height}`,
    );
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

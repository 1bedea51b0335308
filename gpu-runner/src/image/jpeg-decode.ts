import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import { createRaster, type Raster } from './raster.js';
import { compilePackageWasm } from './wasm-module.js';

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

interface WasmImageData {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}
type DecodeFn = (buffer: ArrayBuffer, options: { preserveOrientation: boolean }) => Promise<WasmImageData>;
let decoder: Promise<DecodeFn> | undefined;

/** MozJPEG's decoder (libjpeg-turbo's) compiled to wasm, loaded on first use. */
function loadDecoder(): Promise<DecodeFn> {
  decoder ??= (async () => {
    const mod = await import('@jsquash/jpeg/decode.js');
    await mod.init(await compilePackageWasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
    return mod.default as unknown as DecodeFn;
  })();
  return decoder;
}

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
  const out = createRaster(img.width, img.height, 3);
  for (let p = 0; p < img.width * img.height; p++) {
    out.data[p * 3] = img.data[p * 4];
    out.data[p * 3 + 1] = img.data[p * 4 + 1];
    out.data[p * 3 + 2] = img.data[p * 4 + 2];
  }
  return out;
}

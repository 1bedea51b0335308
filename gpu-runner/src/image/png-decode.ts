import { PNG } from 'pngjs';
import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError } from './image-errors.js';
import { createRaster, type Raster } from './raster.js';

/** What a PNG's chunk headers say, read before any pixel is inflated. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  orientation: ExifOrientation;
}

const SIGNATURE_BYTES = 8;

/** Walks the chunk list for IHDR and an `eXIf` chunk, without decompressing anything. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Omit<PngHeader, 'orientation'> | undefined;
  let orientation: ExifOrientation = 1;
  let pos = SIGNATURE_BYTES;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (data.length !== length) break;
    if (type === 'IHDR' && length >= 13) {
      header = {
        width: view.getUint32(pos + 8),
        height: view.getUint32(pos + 12),
        bitDepth: data[8],
        colorType: data[9],
      };
    } else if (type === 'eXIf') {
      orientation = readExifOrientation(data);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + length;
  }
  if (!header) throw new ImageInputError('corrupt', 'PNG has no IHDR chunk');
  return { ...header, orientation };
}

/**
 * Decodes a PNG to RGB the way Pillow 9.4 opens it and `convert("RGB")` turns it into RGB bytes:
 * palette entries looked up, gray replicated, alpha dropped (not composited), 16-bit RGB/RGBA/LA keep their high
 * byte, 16-bit gray (PIL mode "I") is clipped to 255, 1/2/4-bit gray scaled to 0..255, and a tRNS colour key leaves
 * the colour untouched. Returns the EXIF orientation separately (applied by the caller).
 */
export function decodePngToRgb(bytes: Uint8Array, header: PngHeader): Raster {
  let png: { width: number; height: number; data: Uint8Array | Uint16Array; transColor?: number[] };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true }) as never;
  } catch (err) {
    throw new ImageInputError('corrupt', `unreadable PNG: ${(err as Error).message}`);
  }
  const { width, height, data } = png;
  const { bitDepth, colorType } = header;
  const out = createRaster(width, height, 3);
  const gray = colorType === 0;
  const hasColorKey = png.transColor !== undefined && (colorType === 0 || colorType === 2);
  const maxRaw = 2 ** bitDepth - 1;
  const toByte = (v: number): number => {
    if (colorType === 3 || bitDepth === 8) return v;
    if (bitDepth === 16) return gray ? Math.min(v, 255) : v >> 8;
    return (v * 255) / maxRaw; // 1/2/4-bit gray: exact multiples (x255, x85, x17)
  };
  for (let p = 0; p < width * height; p++) {
    const i = p * 4;
    // pngjs zeroes colour-keyed pixels (alpha included); PIL keeps their colour, which is the key itself.
    const keyed = hasColorKey && data[i + 3] === 0;
    for (let c = 0; c < 3; c++) {
      const raw = keyed ? png.transColor![gray ? 0 : c] : data[i + c];
      out.data[p * 3 + c] = toByte(raw);
    }
  }
  return out;
}

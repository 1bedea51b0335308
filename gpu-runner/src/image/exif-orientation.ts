import { createRaster, type Raster } from './raster.js';

/** EXIF Orientation values 1..8 (1 = upright). */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;

/**
 * Reads the Orientation tag from a TIFF-structured EXIF block (the bytes after `Exif\0\0` in a JPEG APP1 segment,
 * or a PNG `eXIf` chunk). Returns 1 when absent or unreadable: a damaged EXIF block must not fail the image.
 */
export function readExifOrientation(tiff: Uint8Array): ExifOrientation {
  if (tiff.length < 8) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== ORIENTATION_TAG) continue;
    const type = view.getUint16(entry + 2, little);
    const value = type === 3 ? view.getUint16(entry + 8, little) : type === 4 ? view.getUint32(entry + 8, little) : 0;
    return value >= 1 && value <= 8 ? (value as ExifOrientation) : 1;
  }
  return 1;
}

/**
 * Turns an image upright the way `PIL.ImageOps.exif_transpose` does (what diffusers' `load_image` applies):
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
export function applyExifOrientation(src: Raster, orientation: ExifOrientation): Raster {
  if (orientation === 1) return src;
  const { width: w, height: h, channels: ch } = src;
  const swap = orientation >= 5;
  const out = createRaster(swap ? h : w, swap ? w : h, ch);
  // For each output pixel (x, y), the input pixel it takes.
  const sourceOf: Record<Exclude<ExifOrientation, 1>, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  };
  const map = sourceOf[orientation];
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const [sx, sy] = map(x, y);
      const from = (sy * w + sx) * ch;
      const to = (y * out.width + x) * ch;
      for (let c = 0; c < ch; c++) out.data[to + c] = src.data[from + c];
    }
  }
  return out;
}

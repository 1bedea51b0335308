import { inflateSync } from 'node:zlib';
import {
  adler32,
  checkZlibHeader,
  PNG_CHANNELS,
  type PngHeader,
  type PngPass,
  PngScanlines,
  pngImageDataSize,
  readPngStructure,
  trailingAdler,
  zlibErrorCode,
} from '@kandinsky/protocol/image-bytes';
import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError, readImageBytes } from './image-errors.js';
import { createRaster, type Raster } from './raster.js';

/** A decoded PNG and the EXIF orientation of its `eXIf` chunk (applied by the caller). */
export interface DecodedPng {
  image: Raster;
  orientation: ExifOrientation;
}

/**
 * Inflates the image data with node:zlib, never past the declared size: one byte more than IHDR implies is already
 * an error, so the output buffer is bounded by the header, not by the stream.
 */
export function inflateExactly(imageData: Uint8Array[], header: PngHeader): Uint8Array {
  const expected = pngImageDataSize(header);
  const stream = Buffer.concat(imageData);
  readImageBytes(() => checkZlibHeader(stream[0] ?? 0, stream[1] ?? 0));
  let raw: Uint8Array;
  try {
    raw = inflateSync(stream, { maxOutputLength: expected + 1 });
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageInputError('excess_data', `PNG image data inflates past the ${expected} bytes its IHDR declares`);
    }
    throw new ImageInputError(zlibErrorCode(message), `PNG image data is not a valid zlib stream (${message})`);
  }
  // zlib checked the stream's Adler-32 at the stream's end; if the IDAT data does not end there, bytes follow it.
  if (raw.length === expected && trailingAdler(imageData) !== adler32(raw)) {
    throw new ImageInputError('excess_data', 'PNG image data has bytes after the end of its zlib stream');
  }
  return raw;
}

/**
 * Writes one unfiltered row's pixels into the RGB raster the way Pillow 9.4 opens the PNG and `convert("RGB")`
 * turns it into bytes: palette entries looked up, gray replicated, alpha dropped (not composited), 16-bit RGB/RGBA/LA
 * keep their high byte, 16-bit gray (PIL mode "I") is clipped to 255, 1/2/4-bit gray is scaled to 0..255 (x255, x85,
 * x17); a tRNS chunk changes no colour.
 */
function rowWriter(header: PngHeader, palette: Uint8Array | undefined, out: Raster) {
  const { bitDepth: depth, colorType } = header;
  const channels = PNG_CHANNELS[colorType];
  const mask = (1 << depth) - 1;
  const sample =
    depth === 8
      ? (row: Uint8Array, i: number) => row[i]
      : depth === 16
        ? (row: Uint8Array, i: number) => (row[2 * i] << 8) | row[2 * i + 1]
        : (row: Uint8Array, i: number) => (row[(i * depth) >> 3] >> (8 - depth - ((i * depth) & 7))) & mask;
  const gray = colorType === 0 || colorType === 4;
  const grayByte =
    depth === 16
      ? colorType === 0
        ? (v: number) => Math.min(v, 255)
        : (v: number) => v >> 8
      : (v: number) => (v * 255) / mask;
  return (pass: PngPass, y: number, row: Uint8Array) => {
    const outY = pass.yStart + y * pass.yStep;
    for (let i = 0; i < pass.width; i++) {
      const at = (outY * out.width + pass.xStart + i * pass.xStep) * 3;
      if (colorType === 3) {
        const entry = sample(row, i) * 3; // in range: PngScanlines checked every index against PLTE
        out.data[at] = palette![entry];
        out.data[at + 1] = palette![entry + 1];
        out.data[at + 2] = palette![entry + 2];
      } else if (gray) {
        const v = grayByte(sample(row, i * channels));
        out.data[at] = v;
        out.data[at + 1] = v;
        out.data[at + 2] = v;
      } else {
        for (let c = 0; c < 3; c++) {
          const v = sample(row, i * channels + c);
          out.data[at + c] = depth === 16 ? v >> 8 : v;
        }
      }
    }
  };
}

/**
 * Decodes a PNG to RGB (see {@link rowWriter} for the Pillow conversion rules), every pixel from the file: the chunk
 * structure and CRCs are checked by the shared reader, the image data must inflate to exactly the size IHDR declares
 * (never more is inflated), every row's filter type and palette index is checked while unfiltering, and Adam7 passes
 * are placed from their rows. Short, long or inconsistent data is an {@link ImageInputError}, never a partly filled
 * image.
 */
export function decodePngToRgb(bytes: Uint8Array): DecodedPng {
  const png = readImageBytes(() => readPngStructure(bytes));
  const raw = inflateExactly(png.imageData, png.header);
  const image = createRaster(png.header.width, png.header.height, 3);
  const rows = new PngScanlines(png.header, { palette: png.palette, onRow: rowWriter(png.header, png.palette, image) });
  readImageBytes(() => {
    rows.push(raw);
    rows.finish();
  });
  const exif = png.ancillary.find((chunk) => chunk.type === 'eXIf');
  return { image, orientation: exif ? readExifOrientation(exif.data) : 1 };
}

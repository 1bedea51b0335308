import {
  IMAGE_LIMITS,
  inspectImageBytes,
  PNG_CHANNELS,
  type PngPass,
  PngScanlines,
  readPngStructure,
} from '@kandinsky/protocol/image-bytes';
import { applyExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError, readImageBytes, toImageInputError } from './image-errors.js';
import { inflateExactly } from './png-decode.js';
import { createRaster, type Raster } from './raster.js';

/**
 * Reads an OpenAI-style inpainting mask into the pipeline's convention. OpenAI's mask is a PNG whose fully
 * transparent pixels (alpha exactly 0) mark the area to repaint; the pipeline's mask is white where it repaints
 * (`prepareKeepMaskFromImage`: luma >= 0.5). So the result is an upright RGB raster, 255 where the mask is fully
 * transparent and 0 everywhere else, at the mask's size, EXIF orientation applied as for the image it goes with.
 * Transparency comes from the alpha channel (grey + alpha, RGBA, at 8 or 16 bits: only a zero sample is fully
 * transparent) or from a tRNS chunk (palette entries with alpha 0, or the grey / RGB colour key). The bytes pass the
 * same structural check as every input image first, and every row is read from the file (no pixel from memory the
 * decoder did not fill). A PNG without any alpha information is refused (`unsupported_format`): the edge refuses it
 * before a job is queued (`maskAlphaProblem`), so a runner sees one only from a bad edge.
 * @throws ImageInputError
 */
export async function decodeAlphaMask(bytes: Uint8Array, maxPixels = IMAGE_LIMITS.maxPixels): Promise<Raster> {
  let format: string;
  try {
    ({ format } = await inspectImageBytes(bytes, {
      maxBytes: Number.POSITIVE_INFINITY,
      minSide: 1,
      maxSide: Number.POSITIVE_INFINITY,
      maxPixels,
    }));
  } catch (err) {
    throw toImageInputError(err);
  }
  if (format !== 'png') throw new ImageInputError('unsupported_format', 'an alpha mask must be a PNG');
  const png = readImageBytes(() => readPngStructure(bytes));
  const { header } = png;
  const hasAlphaChannel = header.colorType === 4 || header.colorType === 6;
  if (!hasAlphaChannel && !png.transparency) {
    throw new ImageInputError('unsupported_format', 'the mask PNG has no alpha channel and no tRNS chunk');
  }
  const raw = inflateExactly(png.imageData, header);
  const out = createRaster(header.width, header.height, 3);
  const transparent = transparencyTest(header.colorType, header.bitDepth, png.transparency);
  const rows = new PngScanlines(header, {
    palette: png.palette,
    onRow: (pass: PngPass, y: number, row: Uint8Array) => {
      const outY = pass.yStart + y * pass.yStep;
      for (let i = 0; i < pass.width; i++) {
        if (!transparent(row, i)) continue;
        const at = (outY * out.width + pass.xStart + i * pass.xStep) * 3;
        out.data[at] = 255;
        out.data[at + 1] = 255;
        out.data[at + 2] = 255;
      }
    },
  });
  readImageBytes(() => {
    rows.push(raw);
    rows.finish();
  });
  const exif = png.ancillary.find((chunk) => chunk.type === 'eXIf');
  return applyExifOrientation(out, exif ? readExifOrientation(exif.data) : 1);
}

/** Whether pixel `i` of an unfiltered row is fully transparent, for a PNG of this colour type, depth and tRNS. */
function transparencyTest(
  colorType: number,
  depth: number,
  trns: Uint8Array | undefined,
): (row: Uint8Array, i: number) => boolean {
  const channels = PNG_CHANNELS[colorType];
  const mask = (1 << depth) - 1;
  const sample =
    depth === 8
      ? (row: Uint8Array, s: number) => row[s]
      : depth === 16
        ? (row: Uint8Array, s: number) => (row[2 * s] << 8) | row[2 * s + 1]
        : (row: Uint8Array, s: number) => (row[(s * depth) >> 3] >> (8 - depth - ((s * depth) & 7))) & mask;
  const key = (k: number) => ((trns![2 * k] << 8) | trns![2 * k + 1]) & (depth === 16 ? 0xffff : mask);
  switch (colorType) {
    case 4:
    case 6:
      return (row, i) => sample(row, i * channels + channels - 1) === 0;
    case 3:
      // Entries past the end of tRNS are opaque.
      return (row, i) => {
        const index = sample(row, i);
        return index < trns!.length && trns![index] === 0;
      };
    case 0: {
      const grey = key(0);
      return (row, i) => sample(row, i) === grey;
    }
    case 2: {
      const [r, g, b] = [key(0), key(1), key(2)];
      return (row, i) => sample(row, i * 3) === r && sample(row, i * 3 + 1) === g && sample(row, i * 3 + 2) === b;
    }
    default:
      throw new ImageInputError('corrupt', `PNG colour type ${colorType} is invalid`);
  }
}

import { crc32 } from './checksums.js';
import { ImageBytesError } from './errors.js';

/** A PNG's IHDR fields (compression and filter method are always 0 once read). */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  /** 0 none, 1 Adam7. */
  interlace: number;
}

/** A PNG's chunks after every structural rule was checked: what a decoder needs, nothing inflated yet. */
export interface PngStructure {
  header: PngHeader;
  /** PLTE payload (3 bytes per entry), when present. */
  palette?: Uint8Array;
  /** tRNS payload, when present (length already checked against the colour type and palette). */
  transparency?: Uint8Array;
  /** IDAT payloads in file order; their concatenation is one zlib stream. */
  imageData: Uint8Array[];
  /** Every ancillary chunk other than tRNS (e.g. `eXIf`), in file order. */
  ancillary: { type: string; data: Uint8Array }[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest chunk length the PNG specification allows (2^31 - 1). */
const MAX_CHUNK_LENGTH = 0x7fffffff;
/** Allowed bit depths per colour type (PNG specification, table 11.1). */
const BIT_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
/** Samples per pixel per colour type. */
export const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const u32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const corrupt = (message: string) => new ImageBytesError('corrupt', message);

/** True when `bytes` starts with the PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return SIGNATURE.every((v, i) => bytes[i] === v);
}

function readHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw corrupt(`PNG IHDR chunk is ${data.length} bytes, not 13`);
  const header = {
    width: u32(data, 0),
    height: u32(data, 4),
    bitDepth: data[8],
    colorType: data[9],
    interlace: data[12],
  };
  const { width, height, bitDepth, colorType, interlace } = header;
  if (width === 0 || height === 0 || width > MAX_CHUNK_LENGTH || height > MAX_CHUNK_LENGTH) {
    throw corrupt(`PNG IHDR declares an invalid size ${width}x${height}`);
  }
  if (!BIT_DEPTHS[colorType]) throw corrupt(`PNG IHDR declares an invalid colour type ${colorType}`);
  if (!BIT_DEPTHS[colorType].includes(bitDepth)) {
    throw corrupt(`PNG IHDR declares bit depth ${bitDepth}, invalid for colour type ${colorType}`);
  }
  if (data[10] !== 0) throw corrupt(`PNG IHDR declares an unknown compression method ${data[10]}`);
  if (data[11] !== 0) throw corrupt(`PNG IHDR declares an unknown filter method ${data[11]}`);
  if (interlace > 1) throw corrupt(`PNG IHDR declares an unknown interlace method ${interlace}`);
  return header;
}

/**
 * Walks a PNG's chunks and checks everything that can be checked without inflating: the signature, every chunk's
 * length (within the file) and CRC, IHDR first and valid (bit depth / colour type combination, methods, interlace),
 * PLTE present for palette images, absent for gray ones, sized for the bit depth and before IDAT, tRNS sized for the
 * colour type, IDAT chunks present and consecutive, unknown critical chunks refused, IEND present. Bytes after IEND
 * are ignored, as every PNG reader does.
 * @throws ImageBytesError
 */
export function readPngStructure(bytes: Uint8Array): PngStructure {
  if (!hasPngSignature(bytes)) throw corrupt('not a PNG file (bad signature)');
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const imageData: Uint8Array[] = [];
  const ancillary: PngStructure['ancillary'] = [];
  let idatEnded = false;
  let pos = SIGNATURE.length;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new ImageBytesError('truncated', `PNG ends at byte ${bytes.length} before its IEND chunk`);
    }
    const length = u32(bytes, pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    if (!typeBytes.every(isLetter)) throw corrupt(`PNG chunk at byte ${pos} has an invalid type`);
    const type = String.fromCharCode(...typeBytes);
    if (length > MAX_CHUNK_LENGTH) throw corrupt(`PNG ${type} chunk declares an invalid length ${length}`);
    if (pos + 12 + length > bytes.length) {
      throw new ImageBytesError(
        'truncated',
        `PNG ${type} chunk at byte ${pos} declares ${length} bytes but the file ends ${bytes.length - pos - 8} bytes later`,
      );
    }
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    const stored = u32(bytes, pos + 8 + length);
    if (crc32(data, crc32(typeBytes)) !== stored) {
      throw new ImageBytesError('bad_checksum', `PNG ${type} chunk at byte ${pos} has a bad CRC`);
    }
    pos += 12 + length;

    if (!header) {
      if (type !== 'IHDR') throw corrupt(`PNG starts with a ${type} chunk, not IHDR`);
      header = readHeader(data);
      continue;
    }
    if (type !== 'IDAT' && imageData.length > 0) idatEnded = true;
    switch (type) {
      case 'IHDR':
        throw corrupt('PNG has a second IHDR chunk');
      case 'PLTE': {
        if (palette) throw corrupt('PNG has a second PLTE chunk');
        if (imageData.length > 0) throw corrupt('PNG PLTE chunk comes after the image data');
        if (transparency) throw corrupt('PNG PLTE chunk comes after tRNS');
        const entries = length / 3;
        if (header.colorType === 0 || header.colorType === 4) throw corrupt('PNG gray image has a PLTE chunk');
        if (!Number.isInteger(entries) || entries < 1 || entries > 256) {
          throw corrupt(`PNG PLTE chunk is ${length} bytes, not 3 to 768 bytes in steps of 3`);
        }
        if (header.colorType === 3 && entries > 2 ** header.bitDepth) {
          throw corrupt(`PNG PLTE has ${entries} entries, more than ${header.bitDepth}-bit indices can address`);
        }
        palette = data;
        break;
      }
      case 'tRNS': {
        if (transparency) throw corrupt('PNG has a second tRNS chunk');
        if (imageData.length > 0) throw corrupt('PNG tRNS chunk comes after the image data');
        const { colorType } = header;
        if (colorType === 4 || colorType === 6) throw corrupt('PNG with an alpha channel has a tRNS chunk');
        if (colorType === 3 && !palette) throw corrupt('PNG tRNS chunk comes before PLTE');
        const ok =
          colorType === 0
            ? length === 2
            : colorType === 2
              ? length === 6
              : length >= 1 && length <= palette!.length / 3;
        if (!ok) throw corrupt(`PNG tRNS chunk is ${length} bytes, invalid for colour type ${colorType}`);
        transparency = data;
        break;
      }
      case 'IDAT':
        if (idatEnded) throw corrupt('PNG IDAT chunks are not consecutive');
        if (header.colorType === 3 && !palette) throw corrupt('PNG palette image has no PLTE chunk before its data');
        imageData.push(data);
        break;
      case 'IEND':
        if (length !== 0) throw corrupt('PNG IEND chunk is not empty');
        if (imageData.length === 0) throw corrupt('PNG has no IDAT chunk');
        return { header, palette, transparency, imageData, ancillary };
      default:
        // Bit 5 of the first type byte clear = critical: a decoder that does not know it must not show the image.
        if ((typeBytes[0] & 0x20) === 0) {
          throw new ImageBytesError('unsupported_format', `PNG has an unknown critical chunk ${type}`);
        }
        ancillary.push({ type, data });
    }
  }
}

/** One Adam7 pass (or the whole image when not interlaced) and the size of its scanlines. */
export interface PngPass {
  xStart: number;
  yStart: number;
  xStep: number;
  yStep: number;
  /** Pixels per row and rows in this pass (both > 0: empty passes are left out). */
  width: number;
  height: number;
  /** Bytes of one row, without its filter-type byte. */
  rowBytes: number;
}

/** Adam7 pass origins and steps: [xStart, yStart, xStep, yStep]. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** The non-empty passes of an image, in stream order (one pass when not interlaced). */
export function pngPasses(header: PngHeader): PngPass[] {
  const bitsPerPixel = PNG_CHANNELS[header.colorType] * header.bitDepth;
  const origins = header.interlace === 1 ? ADAM7 : [[0, 0, 1, 1]];
  const passes: PngPass[] = [];
  for (const [xStart, yStart, xStep, yStep] of origins) {
    const width = Math.ceil((header.width - xStart) / xStep);
    const height = Math.ceil((header.height - yStart) / yStep);
    if (width <= 0 || height <= 0) continue;
    passes.push({ xStart, yStart, xStep, yStep, width, height, rowBytes: Math.ceil((width * bitsPerPixel) / 8) });
  }
  return passes;
}

/** Exact length of the inflated image data the header declares: every pass's rows, each with its filter byte. */
export function pngImageDataSize(header: PngHeader): number {
  return pngPasses(header).reduce((sum, pass) => sum + pass.height * (pass.rowBytes + 1), 0);
}

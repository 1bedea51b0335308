import { adler32 } from '../checksums.js';
import { concatBytes, PNG_SIGNATURE, pngChunk } from '../png-chunks.js';

/**
 * Test helpers that write PNG files from samples, written independently of the readers (their own Adam7 table,
 * filters and packing), so tests can make valid files of every kind and then damage them on purpose.
 */

/** A PNG to write: its IHDR fields and `width * height * channels` samples (each below 2^bitDepth), row-major. */
export interface TestPngSpec {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  samples: ArrayLike<number>;
  /** Filter type of each scanline in stream order, cycled (default: all 0). */
  filters?: number[];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 as the PNG specification draws it: the pass (1..7) each pixel of an 8x8 tile belongs to. */
const ADAM7_TILE = ['16462646', '77777777', '56565656', '77777777', '36463646', '77777777', '56565656', '77777777'];

/** The pixel coordinates of each pass, in stream order: rows of [x, y]. */
function passRows(spec: TestPngSpec): [number, number][][][] {
  if (spec.interlace === 0) {
    return [Array.from({ length: spec.height }, (_, y) => Array.from({ length: spec.width }, (_, x) => [x, y]))];
  }
  const passes: [number, number][][][] = [];
  for (let pass = 1; pass <= 7; pass++) {
    const rows: [number, number][][] = [];
    for (let y = 0; y < spec.height; y++) {
      const row: [number, number][] = [];
      for (let x = 0; x < spec.width; x++) if (Number(ADAM7_TILE[y % 8][x % 8]) === pass) row.push([x, y]);
      if (row.length > 0) rows.push(row);
    }
    passes.push(rows);
  }
  return passes;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The uncompressed image data of `spec`: each scanline packed, filtered and preceded by its filter type. */
export function pngScanlineData(spec: TestPngSpec): Uint8Array {
  const channels = CHANNELS[spec.colorType];
  const bits = channels * spec.bitDepth;
  const bpp = Math.max(1, bits >> 3);
  const out: number[] = [];
  let line = 0;
  for (const rows of passRows(spec)) {
    let prior: number[] = [];
    for (const row of rows) {
      const packed = new Array<number>(Math.ceil((row.length * bits) / 8)).fill(0);
      let bit = 0;
      for (const [x, y] of row) {
        for (let c = 0; c < channels; c++) {
          const v = spec.samples[(y * spec.width + x) * channels + c];
          if (spec.bitDepth === 16) {
            packed[bit >> 3] = v >> 8;
            packed[(bit >> 3) + 1] = v & 0xff;
          } else {
            packed[bit >> 3] |= v << (8 - spec.bitDepth - (bit & 7));
          }
          bit += spec.bitDepth;
        }
      }
      const filter = spec.filters ? spec.filters[line % spec.filters.length] : 0;
      out.push(filter);
      for (let i = 0; i < packed.length; i++) {
        const a = i >= bpp ? packed[i - bpp] : 0;
        const b = prior[i] ?? 0;
        const c = i >= bpp ? (prior[i - bpp] ?? 0) : 0;
        const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
        out.push((packed[i] - predictor) & 0xff);
      }
      prior = packed;
      line++;
    }
  }
  return Uint8Array.from(out);
}

/** An IHDR payload. */
export function pngHeaderData(width: number, height: number, bitDepth: number, colorType: number, interlace = 0) {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([bitDepth, colorType, 0, 0, interlace], 8);
  return data;
}

/** Options of {@link assemblePng}. */
export interface AssemblePngOptions {
  palette?: Uint8Array;
  transparency?: Uint8Array;
  /** Split the zlib stream into IDAT chunks of at most this many bytes (default: one chunk). */
  idatSize?: number;
  /** Chunks inserted before the IDAT chunks (after PLTE/tRNS). */
  before?: Uint8Array[];
}

/** A PNG file from an IHDR and an already compressed zlib stream. */
export function assemblePng(
  header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number },
  zlibStream: Uint8Array,
  options: AssemblePngOptions = {},
): Uint8Array {
  const size = options.idatSize ?? Math.max(1, zlibStream.length);
  const idats: Uint8Array[] = [];
  for (let i = 0; i < zlibStream.length || i === 0; i += size)
    idats.push(pngChunk('IDAT', zlibStream.subarray(i, i + size)));
  return concatBytes(
    PNG_SIGNATURE,
    pngChunk('IHDR', pngHeaderData(header.width, header.height, header.bitDepth, header.colorType, header.interlace)),
    ...(options.palette ? [pngChunk('PLTE', options.palette)] : []),
    ...(options.transparency ? [pngChunk('tRNS', options.transparency)] : []),
    ...(options.before ?? []),
    ...idats,
    pngChunk('IEND'),
  );
}

/**
 * A zlib stream of `data` in stored (uncompressed) deflate blocks: valid for any inflater, written without one, so
 * tests can make exact streams in any runtime.
 */
export function zlibStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([0x78, 0x01])];
  for (let i = 0; i < data.length || i === 0; i += 0xffff) {
    const block = data.subarray(i, i + 0xffff);
    const final = i + 0xffff >= data.length ? 1 : 0;
    parts.push(
      Uint8Array.from([
        final,
        block.length & 0xff,
        block.length >> 8,
        ~block.length & 0xff,
        (~block.length >> 8) & 0xff,
      ]),
      block,
    );
  }
  const adler = adler32(data);
  parts.push(Uint8Array.from([adler >>> 24, (adler >> 16) & 0xff, (adler >> 8) & 0xff, adler & 0xff]));
  return concatBytes(...parts);
}

/**
 * A valid zlib stream (Adler-32 included) that inflates to at least `bytes` zeros from about `bytes / 159` bytes,
 * written without a deflater: one fixed-Huffman block of a literal 0 followed by "copy 258 bytes from distance 1"
 * codes (13 bits each). For zip-bomb tests in any runtime. Returns the stream and its exact inflated size.
 */
export function zlibZeros(bytes: number): { stream: Uint8Array; inflated: number } {
  const repeats = Math.max(0, Math.ceil((bytes - 1) / 258));
  const out: number[] = [0x78, 0x01];
  let acc = 0;
  let count = 0;
  const bit = (b: number) => {
    acc |= b << count;
    if (++count === 8) {
      out.push(acc);
      acc = 0;
      count = 0;
    }
  };
  const huffman = (code: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bit((code >> i) & 1);
  };
  bit(1); // BFINAL
  bit(1); // BTYPE = 01 (fixed Huffman), least significant bit first
  bit(0);
  huffman(0x30, 8); // literal 0
  for (let i = 0; i < repeats; i++) {
    huffman(0xc5, 8); // length symbol 285 = 258
    huffman(0, 5); // distance code 0 = 1
  }
  huffman(0, 7); // end of block
  if (count > 0) out.push(acc);
  const inflated = 1 + 258 * repeats;
  // Adler-32 of n zeros: a stays 1, b adds 1 per byte.
  const adler = ((inflated % 65521) * 65536 + 1) >>> 0;
  out.push(adler >>> 24, (adler >> 16) & 0xff, (adler >> 8) & 0xff, adler & 0xff);
  return { stream: Uint8Array.from(out), inflated };
}

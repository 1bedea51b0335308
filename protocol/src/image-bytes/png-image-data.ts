import { ImageBytesError } from './errors.js';
import { inflateZlib } from './inflate.js';
import { PngScanlines } from './png-scanlines.js';
import type { PngStructure } from './png-structure.js';

/**
 * Checks the first two bytes of a zlib stream (RFC 1950): deflate, window <= 32 KiB, header checksum, and no preset
 * dictionary (PNG forbids one).
 * @throws ImageBytesError
 */
export function checkZlibHeader(cmf: number, flg: number): void {
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
    throw new ImageBytesError('corrupt', 'PNG image data does not start with a valid zlib header');
  }
}

/**
 * Maps an inflater's error message to a code. Runtimes word these differently (node:zlib: "unexpected end of file",
 * "incorrect data check"); anything not recognised is `corrupt`.
 */
export function zlibErrorCode(message: string): 'truncated' | 'bad_checksum' | 'corrupt' {
  if (/unexpected end|end of (file|stream|input|data)|truncat|incomplete/i.test(message)) return 'truncated';
  if (/data check|checksum|adler/i.test(message)) return 'bad_checksum';
  return 'corrupt';
}

/** The last four bytes of the concatenated IDAT payloads, big-endian (where a zlib stream keeps its Adler-32). */
export function trailingAdler(imageData: Uint8Array[]): number {
  const tail: number[] = [];
  for (let c = imageData.length - 1; c >= 0 && tail.length < 4; c--) {
    for (let i = imageData[c].length - 1; i >= 0 && tail.length < 4; i--) tail.unshift(imageData[c][i]);
  }
  while (tail.length < 4) tail.unshift(0);
  return ((tail[0] << 24) | (tail[1] << 16) | (tail[2] << 8) | tail[3]) >>> 0;
}

/**
 * Inflates a PNG's image data (bounded: see {@link inflateZlib}; nothing is kept) and holds it to the header: exactly
 * the declared number of bytes (one byte more stops the inflater), valid filter types, palette indices within PLTE,
 * a valid zlib stream whose Adler-32 matches and that ends exactly where the IDAT data ends.
 * @throws ImageBytesError
 */
export function verifyPngImageData(png: PngStructure): void {
  const total = png.imageData.reduce((sum, chunk) => sum + chunk.length, 0);
  const stream = new Uint8Array(total);
  let at = 0;
  for (const chunk of png.imageData) {
    stream.set(chunk, at);
    at += chunk.length;
  }
  const scanlines = new PngScanlines(png.header, { palette: png.palette });
  let produced = 0;
  try {
    inflateZlib(stream, (piece) => {
      produced += piece.length;
      scanlines.push(piece);
    });
  } catch (err) {
    if (!(err instanceof ImageBytesError)) throw err;
    if (err.code === 'excess_data' && !scanlines.complete) {
      // Bytes after the zlib stream of image data that is itself short: the shortness is the finding.
      scanlines.finish();
    }
    // Past the declared size (the scanline reader refused a piece): say how far the inflater got, to show it stopped.
    const stopped = err.code === 'excess_data' && !err.message.startsWith('zlib stream:');
    const where = stopped ? ` (inflation stopped after ${produced} bytes)` : '';
    const message = err.message.replace(/^zlib stream: /, 'PNG image data is not a valid zlib stream: ');
    throw new ImageBytesError(err.code, `${message}${where}`);
  }
  scanlines.finish();
}

import { adler32 } from './checksums.js';
import { ImageBytesError } from './errors.js';
import { PngScanlines } from './png-scanlines.js';
import type { PngStructure } from './png-structure.js';

/** The web-standard `DecompressionStream` (global in Node 18+ and Workers), typed here so no runtime's lib is needed. */
interface ByteTransform {
  readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } };
  writable: {
    getWriter(): {
      ready: Promise<void>;
      write(chunk: Uint8Array): Promise<void>;
      close(): Promise<void>;
      abort(): Promise<void>;
    };
  };
}
type DecompressionStreamConstructor = new (format: 'deflate') => ByteTransform;

/**
 * Compressed bytes handed to the inflater at a time. Deflate expands at most ~1032x, so this bounds the output that
 * can pile up between two length checks to about 4 MiB: a zip bomb is stopped early, its output never held.
 */
const SLICE_BYTES = 4096;

/**
 * Checks the first two bytes of a zlib stream (RFC 1950): deflate, window <= 32 KiB, header checksum, and no preset
 * dictionary (PNG forbids one).
 */
export function checkZlibHeader(cmf: number, flg: number): void {
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
    throw new ImageBytesError('corrupt', 'PNG image data does not start with a valid zlib header');
  }
}

/**
 * Maps an inflater's error to a code. Runtimes word these differently (Node: "unexpected end of file", "incorrect
 * data check"); anything not recognised is `corrupt`.
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
 * Inflates a PNG's image data (with the platform's `DecompressionStream`, bounded: see {@link SLICE_BYTES}) and
 * holds it to the header: exactly the declared number of bytes, valid filter types, palette indices in range, a valid
 * zlib stream whose Adler-32 matches and that ends exactly where the IDAT data ends. Keeps no pixel data.
 * @throws ImageBytesError
 */
export async function verifyPngImageData(png: PngStructure): Promise<void> {
  const head: number[] = [];
  for (const chunk of png.imageData) head.push(...chunk.subarray(0, 2 - head.length));
  if (head.length < 2) throw new ImageBytesError('truncated', 'PNG image data is too short to be a zlib stream');
  checkZlibHeader(head[0], head[1]);
  const scanlines = new PngScanlines(png.header, { palette: png.palette });
  const Decompression = (globalThis as unknown as { DecompressionStream: DecompressionStreamConstructor })
    .DecompressionStream;
  const stream = new Decompression('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let stopped = false;

  const feed = (async () => {
    for (const chunk of png.imageData) {
      for (let i = 0; i < chunk.length && !stopped; i += SLICE_BYTES) {
        await writer.ready;
        await writer.write(chunk.subarray(i, i + SLICE_BYTES));
      }
    }
    if (!stopped) await writer.close();
  })();
  // The reader reports the error; the writer's copy of it must not surface as an unhandled rejection.
  feed.catch(() => undefined);

  let adler = 1;
  let produced = 0;
  try {
    for (;;) {
      let result: { done: boolean; value?: Uint8Array };
      try {
        result = await reader.read();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new ImageBytesError(zlibErrorCode(message), `PNG image data is not a valid zlib stream (${message})`);
      }
      if (result.done) break;
      const value = result.value!;
      produced += value.length;
      scanlines.push(value);
      adler = adler32(value, adler);
    }
  } catch (err) {
    stopped = true;
    reader.cancel().catch(() => undefined);
    writer.abort().catch(() => undefined);
    if (err instanceof ImageBytesError && err.code === 'excess_data') {
      throw new ImageBytesError('excess_data', `${err.message} (inflation stopped after ${produced} bytes)`);
    }
    throw err;
  }
  scanlines.finish();
  // The inflater checked the stream's own Adler-32; if the IDAT data does not end with it, bytes follow the stream.
  if (trailingAdler(png.imageData) !== adler) {
    throw new ImageBytesError('excess_data', 'PNG image data has bytes after the end of its zlib stream');
  }
}

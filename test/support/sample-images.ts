import { deflateSync } from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from '@kandinsky/protocol/image-bytes';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * Input images for end-to-end tests, good and bad: PNG and JPEG files of a few sizes, and files the service must
 * refuse up front (garbage, a truncated PNG, a PNG whose zlib stream ends cleanly but holds fewer rows than its IHDR
 * declares, a PNG too small to use).
 */

/** A `width x height` RGBA PNG with a gradient that depends on `seed`. */
export function pngBytes(width: number, height: number, seed = 0): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = (i * 7 + seed) & 255;
    png.data[i * 4 + 1] = (i * 3 + seed * 5) & 255;
    png.data[i * 4 + 2] = (seed * 11) & 255;
    png.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}

/** A baseline JPEG of `width x height`. */
export function jpegBytes(width: number, height: number, seed = 0): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.writeUInt32BE((((i * 2654435761 + seed) >>> 0) | 0xff) >>> 0, i * 4);
  return new Uint8Array(jpeg.encode({ data, width, height }, 90).data);
}

/**
 * A well-formed PNG (valid chunks and CRCs, a complete zlib stream) whose IDAT holds only `rows` rows of an 8-bit RGB
 * image that its IHDR says is `height` rows tall: what a lax decoder fills from memory it never wrote.
 */
export function shortIdatPng(width: number, height: number, rows: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(rows * (1 + width * 3), 0x40);
  for (let r = 0; r < rows; r++) raw[r * (1 + width * 3)] = 0; // filter type None
  return new Uint8Array(
    Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(raw)),
      pngChunk('IEND', new Uint8Array()),
    ]),
  );
}

/** A base64 data URL of `bytes`. */
export function dataUrl(bytes: Uint8Array, type = 'image/png'): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** Usable input images: PNG and JPEG, a few sizes (equal sizes recur, so image and mask often match). */
export const goodImage: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom([64, 64], [48, 32], [96, 64]), fc.integer({ min: 0, max: 255 }), fc.boolean())
  .map(([[w, h], seed, asJpeg]) =>
    asJpeg ? dataUrl(jpegBytes(w, h, seed), 'image/jpeg') : dataUrl(pngBytes(w, h, seed)),
  );

/** Files the service must refuse before a runner sees them. */
export const badImage: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => dataUrl(bytes)),
  fc.integer({ min: 1, max: 40 }).map((cut) => {
    const png = pngBytes(64, 64, 3);
    return dataUrl(png.subarray(0, png.length - cut));
  }),
  fc.integer({ min: 1, max: 63 }).map((rows) => dataUrl(shortIdatPng(64, 64, rows))),
  fc.constant(dataUrl(pngBytes(8, 8))),
  fc.constant('not base64 at all!'),
);

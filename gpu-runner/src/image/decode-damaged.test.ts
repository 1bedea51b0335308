import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync, deflateSync } from 'node:zlib';
import { assemblePng, concatBytes, pngScanlineData, type TestPngSpec } from '@kandinsky/protocol/image-bytes/testing';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/helpers/tensors.js';
import { decodeImage } from './decode-image.js';
import { ImageInputError } from './image-errors.js';
import { decodeJpegToRgb, readJpegHeader } from './jpeg-decode.js';
import { decodePngToRgb } from './png-decode.js';
import { rgbFromWasmImage } from './wasm-module.js';
import { decodeWebpToRgb, readWebpHeader } from './webp-codec.js';

const file = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, 'image', 'decode', name)));

/** 'ok' or the ImageInputError code; any other exception fails the test. */
async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    if (!(err instanceof ImageInputError)) throw err;
    return err.code;
  }
}

const rgb: TestPngSpec = {
  width: 64,
  height: 64,
  bitDepth: 8,
  colorType: 2,
  interlace: 0,
  samples: Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 31) & 0xff),
  filters: [0, 1, 2, 3, 4],
};
const rowBytes = 64 * 3 + 1;
const pngOf = (spec: TestPngSpec, edit: (raw: Uint8Array) => Uint8Array = (r) => r) =>
  assemblePng(spec, new Uint8Array(deflateSync(edit(pngScanlineData(spec)))));

describe('decoding damaged PNGs', () => {
  it('throws on a short PNG every time; on main (pngjs PNG.sync.read) it returned pixels from uninitialised memory, different run after run', async () => {
    // Image data one row and 100 bytes short, in a zlib stream that ends cleanly. On main, 20 decodes of this file
    // gave 5 different pixel sets and 3 different "Unrecognised filter type" errors: pngjs left the missing rows in
    // unfilled (allocUnsafe) memory and returned them.
    const short = pngOf(rgb, (raw) => raw.subarray(0, raw.length - rowBytes - 100));
    for (let i = 0; i < 20; i++) {
      Buffer.alloc(1 << 16, i); // churn the allocator as other requests would
      expect(await outcome(() => decodeImage(short))).toBe('truncated');
      expect(await outcome(() => decodePngToRgb(short))).toBe('truncated');
    }
  });

  it('the decoder on its own (without the shared check first) refuses short, long and inconsistent data', async () => {
    const decode = (png: Uint8Array) => outcome(() => decodePngToRgb(png));
    expect(await decode(pngOf(rgb))).toBe('ok');
    expect(await decode(pngOf(rgb, (raw) => raw.subarray(0, raw.length - rowBytes)))).toBe('truncated');
    expect(await decode(pngOf(rgb, (raw) => raw.subarray(0, raw.length - 1)))).toBe('truncated');
    expect(await decode(pngOf(rgb, (raw) => concatBytes(raw, raw.subarray(0, rowBytes))))).toBe('excess_data');
    expect(await decode(pngOf(rgb, (raw) => concatBytes(raw, new Uint8Array(1))))).toBe('excess_data');
    const stream = new Uint8Array(deflateSync(pngScanlineData(rgb)));
    expect(await decode(assemblePng(rgb, concatBytes(stream, new Uint8Array([7, 7]))))).toBe('excess_data');
    expect(await decode(assemblePng(rgb, stream.subarray(0, stream.length - 9)))).toBe('truncated');
    const badFilter = (raw: Uint8Array) => {
      const copy = raw.slice();
      copy[rowBytes * 5] = 9;
      return copy;
    };
    expect(await decode(pngOf(rgb, badFilter))).toBe('corrupt');
    const crc = pngOf(rgb);
    crc[50] ^= 1;
    expect(await decode(crc)).toBe('bad_checksum');
    const palette: TestPngSpec = {
      width: 16,
      height: 16,
      bitDepth: 4,
      colorType: 3,
      interlace: 0,
      samples: new Array(256).fill(2),
    };
    expect(await decode(pngOf(palette))).toBe('corrupt'); // no PLTE
    const interlaced = {
      ...rgb,
      width: 21,
      height: 13,
      interlace: 1,
      samples: Array.from(rgb.samples).slice(0, 21 * 13 * 3),
    } as TestPngSpec;
    expect(await decode(pngOf(interlaced))).toBe('ok');
    expect(await decode(pngOf(interlaced, (raw) => raw.subarray(0, raw.length - 3)))).toBe('truncated');
  });

  it('refuses a zip bomb with an output buffer bounded by IHDR (4096x4096 declared, 1 GiB in the stream)', async () => {
    const block = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: constants.Z_SYNC_FLUSH });
    const parts = [Uint8Array.from([0x78, 0x9c]), ...new Array(1024).fill(block), Uint8Array.from([3, 0, 0, 0, 0, 1])];
    const bomb = assemblePng(
      { width: 4096, height: 4096, bitDepth: 8, colorType: 0, interlace: 0 },
      concatBytes(...parts),
    );
    const before = process.memoryUsage().arrayBuffers;
    expect(await outcome(() => decodePngToRgb(bomb))).toBe('excess_data');
    expect(await outcome(() => decodeImage(bomb))).toBe('excess_data');
    // Nothing near 1 GiB was ever held (the declared image is 16 MiB).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 2 ** 20);
  });
});

describe('decoding damaged JPEGs and WebPs', () => {
  const jpeg = file('rgb-q90.jpg');
  const sos = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xda);

  it('refuses a JPEG without EOI or with its scan cut (Pillow: "image file is truncated")', async () => {
    expect(await outcome(() => decodeImage(jpeg.subarray(0, jpeg.length - 2)))).toBe('truncated');
    expect(await outcome(() => decodeImage(jpeg.subarray(0, sos + 200)))).toBe('truncated');
  });

  it('refuses a JPEG whose scan data libjpeg had to fill in (cut scan + EOI, frame taller than its data)', async () => {
    const cutThenEoi = concatBytes(jpeg.subarray(0, sos + 200), Uint8Array.from([0xff, 0xd9]));
    // The shared check finds it by Huffman-decoding the scan; libjpeg alone warns and fills with gray.
    expect(await outcome(() => decodeImage(cutThenEoi))).toBe('truncated');
    expect(await outcome(() => decodeJpegToRgb(cutThenEoi, readJpegHeader(cutThenEoi)))).toBe('corrupt');
    const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
    const taller = jpeg.slice();
    taller[sof + 5] += 1; // height 32 -> 288: libjpeg runs out of scan data and fills with gray
    expect(await outcome(() => decodeImage(taller))).toBe('truncated');
    expect(await outcome(() => decodeJpegToRgb(taller, readJpegHeader(taller)))).toBe('corrupt');
  });

  it('refuses a JPEG or WebP that decodes to another size than its header says', async () => {
    const header = readJpegHeader(jpeg);
    expect(await outcome(() => decodeJpegToRgb(jpeg, { ...header, height: 31 }))).toBe('corrupt');
    const webp = file('rgb-q80.webp');
    expect(await outcome(() => decodeWebpToRgb(webp, { ...readWebpHeader(webp), width: 47 }))).toBe('corrupt');
  });

  it('refuses truncated WebPs, RIFF sizes that lie and a VP8X canvas that differs from the bitstream', async () => {
    const webp = file('rgba-q80.webp');
    expect(await outcome(() => decodeImage(webp.subarray(0, webp.length - 10)))).toBe('truncated');
    const lie = webp.slice();
    new DataView(lie.buffer).setUint32(4, webp.length - 20, true);
    expect(await outcome(() => decodeImage(lie))).toBe('excess_data');
    const canvas = webp.slice();
    canvas[12 + 8 + 4] += 1; // VP8X canvas width - 1
    expect(await outcome(() => decodeImage(canvas))).toBe('corrupt');
  });

  it('refuses wasm decoder output shorter than its width x height', async () => {
    expect(await outcome(() => rgbFromWasmImage({ width: 4, height: 4, data: new Uint8ClampedArray(60) }))).toBe(
      'corrupt',
    );
    expect(await outcome(() => rgbFromWasmImage({ width: 4, height: 4, data: new Uint8ClampedArray(64) }))).toBe('ok');
  });
});

import { describe, expect, it } from 'vitest';
import { ImageBytesError } from './errors.js';
import { inspectImageBytes } from './inspect-image-bytes.js';
import { deflate, fixture, graySpec, pngWith } from './test-files.js';
import {
  assemblePng,
  concatBytes,
  PNG_SIGNATURE,
  pngChunk,
  pngHeaderData,
  pngScanlineData,
  zlibStored,
} from './testing/index.js';

const NO_LIMITS = {
  maxBytes: Number.POSITIVE_INFINITY,
  minSide: 1,
  maxSide: Number.POSITIVE_INFINITY,
  maxPixels: 2 ** 40,
};

/** The code (and message) `inspectImageBytes` refuses with; fails the test on any other exception. */
async function refusal(bytes: Uint8Array, limits = NO_LIMITS): Promise<string> {
  try {
    await inspectImageBytes(bytes, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ImageBytesError);
    return `${(err as ImageBytesError).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}

const spec = graySpec(20, 18);
const rowBytes = 20 + 1;

describe('inspectImageBytes on PNG', () => {
  it('accepts valid files: a fixture, every filter type, interlaced, image data split over many IDAT chunks', async () => {
    expect(await inspectImageBytes(fixture('rgb.png'), NO_LIMITS)).toEqual({
      format: 'png',
      contentType: 'image/png',
      width: 23,
      height: 17,
    });
    expect(await refusal(pngWith(spec))).toBe('accepted');
    expect(await refusal(pngWith(graySpec(13, 11, 1)))).toBe('accepted');
    expect(await refusal(pngWith(spec, undefined, { idatSize: 3 }))).toBe('accepted');
    expect(await refusal(assemblePng(spec, zlibStored(pngScanlineData(spec))))).toBe('accepted');
  });

  it('ignores bytes after IEND, as every PNG reader does', async () => {
    expect(await refusal(concatBytes(pngWith(spec), new Uint8Array([1, 2, 3])))).toBe('accepted');
  });

  it('refuses image data short by one row, or by one byte (the bug that leaked uninitialised memory)', async () => {
    expect(await refusal(pngWith(spec, (raw) => raw.subarray(0, raw.length - rowBytes)))).toMatch(
      /^truncated: .*ends after 357 of the 378 bytes/,
    );
    expect(await refusal(pngWith(spec, (raw) => raw.subarray(0, raw.length - 1)))).toMatch(/^truncated:/);
    expect(await refusal(pngWith(spec, (raw) => raw.subarray(0, 1)))).toMatch(/^truncated:/);
  });

  it('refuses image data with more rows or bytes than IHDR declares', async () => {
    expect(await refusal(pngWith(spec, (raw) => concatBytes(raw, raw.subarray(0, rowBytes))))).toMatch(/^excess_data:/);
    expect(await refusal(pngWith(spec, (raw) => concatBytes(raw, new Uint8Array(1))))).toMatch(/^excess_data:/);
  });

  it('refuses bytes after the end of the zlib stream inside IDAT', async () => {
    const stream = deflate(pngScanlineData(spec));
    expect(await refusal(assemblePng(spec, concatBytes(stream, new Uint8Array([0, 0]))))).toMatch(/^excess_data:/);
    expect(await refusal(assemblePng(spec, concatBytes(stream, stream.subarray(0, 9))))).toMatch(/^excess_data:/);
  });

  it('refuses a cut zlib stream, a bad Adler-32 and a bad zlib header', async () => {
    const stream = deflate(pngScanlineData(spec));
    expect(await refusal(assemblePng(spec, stream.subarray(0, stream.length - 6)))).toMatch(/^truncated:/);
    const badAdler = stream.slice();
    badAdler[badAdler.length - 1] ^= 1;
    expect(await refusal(assemblePng(spec, badAdler))).toMatch(/^bad_checksum:/);
    const badHeader = stream.slice();
    badHeader[1] ^= 1;
    expect(await refusal(assemblePng(spec, badHeader))).toMatch(/^corrupt: .*zlib stream: invalid header/);
    expect(await refusal(assemblePng(spec, new Uint8Array([0x78])))).toMatch(/^truncated:/);
  });

  it('refuses a bad chunk CRC', async () => {
    const png = pngWith(spec);
    png[45] ^= 0x10; // inside the IDAT payload
    expect(await refusal(png)).toMatch(/^bad_checksum: PNG IDAT chunk/);
  });

  it('refuses an invalid filter type byte', async () => {
    const bad = (raw: Uint8Array) => {
      const copy = raw.slice();
      copy[rowBytes * 3] = 5;
      return copy;
    };
    expect(await refusal(pngWith(spec, bad))).toMatch(/^corrupt: PNG row 3 has an invalid filter type 5/);
  });

  it('refuses a zip bomb without inflating it: 4096x4096 declared, the stream inflates to 1 GiB', async () => {
    // 1 GiB of zeros as 1024 copies of one flushed deflate block run (each ~1 KiB), then an empty final block.
    const { deflateRawSync, constants } = await import('node:zlib');
    const block = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: constants.Z_SYNC_FLUSH });
    const parts = [Uint8Array.from([0x78, 0x9c])];
    for (let i = 0; i < 1024; i++) parts.push(block);
    parts.push(Uint8Array.from([0x03, 0x00, 0, 0, 0, 1]));
    const bomb = assemblePng(
      { width: 4096, height: 4096, bitDepth: 8, colorType: 0, interlace: 0 },
      concatBytes(...parts),
    );
    expect(bomb.length).toBeLessThan(2 << 20);
    const verdict = await refusal(bomb);
    expect(verdict).toMatch(/^excess_data: .*inflation stopped after (\d+) bytes/);
    const produced = Number(/stopped after (\d+) bytes/.exec(verdict)![1]);
    // Declared: 4097 x 4096 bytes. The inflater was stopped within a few MiB of that, not at 1 GiB.
    expect(produced).toBeGreaterThan(4097 * 4096);
    expect(produced).toBeLessThan(4097 * 4096 + 8 * 2 ** 20);
  });

  it('refuses a palette image without PLTE, and palette indices beyond the PLTE entries', async () => {
    const palette = { width: 4, height: 4, bitDepth: 2, colorType: 3, interlace: 0, samples: new Array(16).fill(1) };
    const stream = deflate(pngScanlineData(palette));
    expect(await refusal(assemblePng(palette, stream))).toMatch(/^corrupt: .*no PLTE/);
    expect(await refusal(assemblePng(palette, stream, { palette: new Uint8Array(6) }))).toBe('accepted');
    const outOfRange = { ...palette, samples: [...new Array(15).fill(1), 3] };
    expect(
      await refusal(assemblePng(outOfRange, deflate(pngScanlineData(outOfRange)), { palette: new Uint8Array(6) })),
    ).toMatch(/^corrupt: .*palette index 3 but PLTE has only 2 entries/);
  });

  it('refuses an interlaced image whose data stops short (and one with a pass missing)', async () => {
    const interlaced = graySpec(13, 11, 1);
    expect(await refusal(pngWith(interlaced))).toBe('accepted');
    expect(await refusal(pngWith(interlaced, (raw) => raw.subarray(0, raw.length - 1)))).toMatch(/^truncated:/);
    // Adam7 pass 7 is the odd rows: 5 rows of 13 bytes + filter byte.
    expect(await refusal(pngWith(interlaced, (raw) => raw.subarray(0, raw.length - 5 * 14)))).toMatch(/^truncated:/);
  });

  it('refuses missing or misplaced chunks', async () => {
    const ihdr = pngChunk('IHDR', pngHeaderData(20, 18, 8, 0));
    const idat = pngChunk('IDAT', deflate(pngScanlineData(spec)));
    const iend = pngChunk('IEND');
    const text = pngChunk('tEXt', new TextEncoder().encode('a\0b'));
    expect(await refusal(concatBytes(PNG_SIGNATURE, ihdr, iend))).toMatch(/^corrupt: PNG has no IDAT/);
    expect(await refusal(concatBytes(PNG_SIGNATURE, ihdr, idat))).toMatch(/^truncated: .*before its IEND/);
    expect(await refusal(concatBytes(PNG_SIGNATURE, idat, ihdr, iend))).toMatch(/^corrupt: .*not IHDR/);
    expect(await refusal(concatBytes(PNG_SIGNATURE, ihdr, text, idat, text, iend))).toBe('accepted');
    // Signature + IHDR = 33 bytes, then IDAT chunks of 40 + 12 bytes: put a tEXt between the first two.
    const split = pngWith(spec, undefined, { idatSize: 40 });
    const reordered = concatBytes(split.subarray(0, 33 + 52), text, split.subarray(33 + 52));
    expect(await refusal(reordered)).toMatch(/^corrupt: PNG IDAT chunks are not consecutive/);
    expect(await refusal(concatBytes(PNG_SIGNATURE, ihdr, pngChunk('CgBI', new Uint8Array(4)), idat, iend))).toMatch(
      /^unsupported_format: .*CgBI/,
    );
    expect(await refusal(pngWith(spec).subarray(0, 60))).toMatch(/^truncated: PNG IDAT chunk/);
  });

  it('refuses invalid IHDR fields and chunk payloads', async () => {
    const withHeader = (header: Uint8Array, ...rest: Uint8Array[]) =>
      concatBytes(
        PNG_SIGNATURE,
        pngChunk('IHDR', header),
        ...rest,
        pngChunk('IDAT', zlibStored(new Uint8Array(2))),
        pngChunk('IEND'),
      );
    expect(await refusal(withHeader(pngHeaderData(1, 1, 4, 2)))).toMatch(
      /^corrupt: .*bit depth 4, invalid for colour type 2/,
    );
    expect(await refusal(withHeader(pngHeaderData(1, 1, 8, 5)))).toMatch(/^corrupt: .*colour type 5/);
    expect(await refusal(withHeader(pngHeaderData(1, 1, 8, 0, 2)))).toMatch(/^corrupt: .*interlace method 2/);
    expect(await refusal(withHeader(pngHeaderData(0, 1, 8, 0)))).toMatch(/^corrupt: .*invalid size 0x1/);
    expect(await refusal(withHeader(pngHeaderData(1, 1, 8, 0), pngChunk('PLTE', new Uint8Array(3))))).toMatch(
      /gray image has a PLTE/,
    );
    expect(await refusal(withHeader(pngHeaderData(1, 1, 8, 0), pngChunk('tRNS', new Uint8Array(6))))).toMatch(
      /tRNS chunk is 6 bytes/,
    );
    expect(await refusal(withHeader(pngHeaderData(1, 1, 1, 3), pngChunk('PLTE', new Uint8Array(9))))).toMatch(
      /PLTE has 3 entries, more than 1-bit indices/,
    );
    expect(await refusal(withHeader(pngHeaderData(1, 1, 8, 0)))).toBe('accepted');
  });

  it('applies the limits from IHDR before inflating anything', async () => {
    const limits = { maxBytes: 1 << 20, minSide: 16, maxSide: 64, maxPixels: 32 * 32 };
    expect(await refusal(pngWith(graySpec(8, 20)), limits)).toMatch(/^bad_dimensions: image is 8x20/);
    expect(await refusal(pngWith(graySpec(65, 20)), limits)).toMatch(/^bad_dimensions:/);
    expect(await refusal(pngWith(graySpec(40, 40)), limits)).toMatch(/^too_large: image is 40x40 = 1600 pixels/);
    expect(await refusal(pngWith(graySpec(32, 32)), { ...limits, maxBytes: 100 })).toMatch(/^file_too_large:/);
    // A bomb declaring a size beyond the limits is refused on its header alone.
    const huge = assemblePng(
      { width: 1e5, height: 1e5, bitDepth: 16, colorType: 6, interlace: 0 },
      zlibStored(new Uint8Array(1)),
    );
    expect(await refusal(huge, limits)).toMatch(/^bad_dimensions:/);
  });
});

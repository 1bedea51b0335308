import { describe, expect, it } from 'vitest';
import { ImageBytesError } from './errors.js';
import { inspectImageBytes } from './inspect-image-bytes.js';
import { fixture } from './test-files.js';
import { concatBytes } from './testing/index.js';

const NO_LIMITS = {
  maxBytes: Number.POSITIVE_INFINITY,
  minSide: 1,
  maxSide: Number.POSITIVE_INFINITY,
  maxPixels: 2 ** 40,
};

async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await inspectImageBytes(bytes, NO_LIMITS);
  } catch (err) {
    expect(err).toBeInstanceOf(ImageBytesError);
    return `${(err as ImageBytesError).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}

/** Offset of the first `0xff marker` in a JPEG (after SOI). */
function markerAt(jpeg: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < jpeg.length; i++) if (jpeg[i] === 0xff && jpeg[i + 1] === marker) return i;
  throw new Error(`no marker ${marker}`);
}

const JPEGS = [
  'rgb-q90.jpg',
  'rgb-progressive-444.jpg',
  'gray-q90.jpg',
  'rgb-420-restart.jpg',
  'rgb-420-progressive.jpg',
];

describe('inspectImageBytes on JPEG', () => {
  it('accepts baseline, progressive, gray, 4:2:0 and restart-interval files, and ignores bytes after EOI', async () => {
    for (const name of JPEGS) expect(await refusal(fixture(name)), name).toBe('accepted');
    expect(await inspectImageBytes(fixture('rgb-q90.jpg'), NO_LIMITS)).toEqual({
      format: 'jpeg',
      contentType: 'image/jpeg',
      width: 48,
      height: 32,
    });
    expect(await refusal(concatBytes(fixture('rgb-q90.jpg'), new Uint8Array([0xff, 0xd8, 1, 2])))).toBe('accepted');
  });

  it('refuses a file without EOI and a scan cut short (what Pillow calls "image file is truncated")', async () => {
    for (const name of JPEGS) {
      const jpeg = fixture(name);
      expect(await refusal(jpeg.subarray(0, jpeg.length - 2)), name).toMatch(/^truncated: .*no EOI/);
      expect(await refusal(jpeg.subarray(0, jpeg.length - 40)), name).toMatch(/^truncated:/);
      expect(await refusal(jpeg.subarray(0, markerAt(jpeg, 0xda) + 5)), name).toMatch(/^truncated:/);
    }
  });

  it('Huffman-decodes every scan: data cut short before EOI, a frame taller than its data, a bad code', async () => {
    for (const name of JPEGS) {
      const jpeg = fixture(name);
      const sos = markerAt(jpeg, 0xda);
      // Cut inside the first scan, then close the file properly: every marker is intact, the MCUs are not.
      const cut = concatBytes(jpeg.subarray(0, sos + 40), Uint8Array.from([0xff, 0xd9]));
      expect(await refusal(cut), name).toMatch(
        /^truncated: JPEG (scan data ends before its last MCU|ends before component|scan has \d+ restart)/,
      );
    }
    const jpeg = fixture('rgb-q90.jpg');
    const sof = markerAt(jpeg, 0xc0);
    const taller = jpeg.slice();
    taller[sof + 6] = 48; // height 32 -> 48: a third MCU row the scan does not have
    expect(await refusal(taller)).toMatch(/^truncated: JPEG scan data ends before its last MCU/);
    const shorter = jpeg.slice();
    shorter[sof + 6] = 16; // fewer MCUs than coded: the rest is skipped, as libjpeg skips it
    expect(await refusal(shorter)).toBe('accepted');
    // Scan data starting with 32 one-bits (stuffed FF 00 bytes): no code is all ones, so no code matches.
    const data = markerAt(jpeg, 0xda) + 14;
    const ones = Uint8Array.from([0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0]);
    const bad = concatBytes(jpeg.subarray(0, data), ones, jpeg.subarray(data + 8));
    expect(await refusal(bad)).toMatch(/^corrupt: JPEG scan data has a bad Huffman code/);
  });

  it('counts restart intervals against the frame size: a lost interval or a taller frame is refused', async () => {
    const jpeg = fixture('rgb-420-restart.jpg');
    // 48x32 at 4:2:0 is two MCU rows, one restart interval each: RST0 between them.
    const rst0 = markerAt(jpeg, 0xd0);
    const eoi = jpeg.length - 2;
    expect(await refusal(concatBytes(jpeg.subarray(0, rst0), jpeg.subarray(eoi)))).toMatch(
      /^truncated: JPEG scan has 1 restart intervals where its 6 MCUs need 2/,
    );
    const renumbered = jpeg.slice();
    renumbered[rst0 + 1] = 0xd1;
    expect(await refusal(renumbered)).toMatch(/^corrupt: .*RST1 is out of sequence/);
    const sof = markerAt(jpeg, 0xc0);
    const taller = jpeg.slice();
    taller[sof + 5] += 1; // height + 256: many more MCU rows than intervals
    expect(await refusal(taller)).toMatch(/^truncated: .*restart intervals/);
    const shorter = jpeg.slice();
    shorter[sof + 6] = 16; // height 32 -> 16
    expect(await refusal(shorter)).toMatch(/^excess_data: .*restart intervals/);
  });

  it('refuses what libjpeg cannot decode here: 12-bit, CMYK, arithmetic coding, DNL heights', async () => {
    const jpeg = fixture('rgb-q90.jpg');
    const sof = markerAt(jpeg, 0xc0);
    const edit = (at: number, value: number) => {
      const copy = jpeg.slice();
      copy[at] = value;
      return copy;
    };
    expect(await refusal(edit(sof + 4, 12))).toMatch(/^unsupported_format: 12-bit/);
    expect(await refusal(edit(sof + 1, 0xc9))).toMatch(/^unsupported_format: arithmetic-coded/);
    expect(await refusal(edit(sof + 1, 0xc3))).toMatch(/^unsupported_format: lossless/);
    const dnl = edit(sof + 5, 0);
    dnl[sof + 6] = 0;
    expect(await refusal(dnl)).toMatch(/^unsupported_format: .*DNL/);
    expect(await refusal(edit(sof + 9, 4))).toMatch(/^corrupt: .*length does not match/);
  });

  it('refuses inconsistent markers and tables', async () => {
    const jpeg = fixture('rgb-q90.jpg');
    const sos = markerAt(jpeg, 0xda);
    const sof = markerAt(jpeg, 0xc0);
    const dht = markerAt(jpeg, 0xc4);
    // SOS names a component the frame lacks.
    const badComponent = jpeg.slice();
    badComponent[sos + 5] = 9;
    expect(await refusal(badComponent)).toMatch(/^corrupt: .*component 9/);
    // Sequential scan with progressive spectral parameters.
    const badSpectral = jpeg.slice();
    badSpectral[sos + 2 + 2 + 1 + 6 + 1] = 5;
    expect(await refusal(badSpectral)).toMatch(/^corrupt: .*spectral/);
    // The Huffman tables removed: the scan uses undefined tables.
    expect(await refusal(concatBytes(jpeg.subarray(0, dht), jpeg.subarray(sos)))).toMatch(/^corrupt: .*not defined/);
    // A second SOI, stray bytes between segments, a scan before the frame.
    expect(
      await refusal(concatBytes(jpeg.subarray(0, sof), Uint8Array.from([0xff, 0xd8]), jpeg.subarray(sof))),
    ).toMatch(/unexpected marker 0xd8/);
    expect(await refusal(concatBytes(jpeg.subarray(0, sof), Uint8Array.from([0]), jpeg.subarray(sof)))).toMatch(
      /stray bytes/,
    );
    expect(await refusal(concatBytes(jpeg.subarray(0, sof), jpeg.subarray(sos)))).toMatch(
      /scan comes before its frame/,
    );
    // A segment length running past the end of the file.
    const longSegment = jpeg.slice(0, sof + 4);
    expect(await refusal(longSegment)).toMatch(/^truncated:/);
  });

  it('refuses progressive scans out of order', async () => {
    const jpeg = fixture('rgb-420-progressive.jpg');
    const firstScan = markerAt(jpeg, 0xda);
    // Make the first (DC) scan an AC scan: Ss=1 Se=5 with one component... the spectral check catches it first.
    const bad = jpeg.slice();
    const ns = bad[firstScan + 4];
    bad[firstScan + 4 + 1 + 2 * ns] = 1;
    expect(await refusal(bad)).toMatch(
      /^corrupt: JPEG progressive scan has invalid parameters|^corrupt: .*before its DC/,
    );
  });
});

/** RIFF chunk offsets of a WebP file. */
function chunkAt(webp: Uint8Array, type: string): number {
  for (let pos = 12; pos + 8 <= webp.length; ) {
    if (String.fromCharCode(...webp.subarray(pos, pos + 4)) === type) return pos;
    const size = webp[pos + 4] | (webp[pos + 5] << 8) | (webp[pos + 6] << 16) | (webp[pos + 7] << 24);
    pos += 8 + size + (size & 1);
  }
  throw new Error(`no ${type} chunk`);
}

const setU32le = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);

describe('inspectImageBytes on WebP', () => {
  it('accepts lossy, lossless and lossy + alpha (VP8X) files', async () => {
    for (const name of ['rgb-q80.webp', 'rgb-lossless.webp', 'rgba-q80.webp']) {
      expect(await refusal(fixture(name)), name).toBe('accepted');
    }
    expect(await inspectImageBytes(fixture('rgb-q80.webp'), NO_LIMITS)).toMatchObject({ width: 48, height: 32 });
  });

  it('refuses animation as unsupported', async () => {
    expect(await refusal(fixture('animated.webp'))).toMatch(/^unsupported_format: animated/);
  });

  it('refuses truncated files and RIFF sizes that lie either way', async () => {
    for (const name of ['rgb-q80.webp', 'rgb-lossless.webp', 'rgba-q80.webp']) {
      const webp = fixture(name);
      expect(await refusal(webp.subarray(0, webp.length - 1)), name).toMatch(/^truncated: WebP RIFF size/);
      const bigger = webp.slice();
      setU32le(bigger, 4, webp.length); // 8 more than the file
      expect(await refusal(bigger), name).toMatch(/^truncated: WebP RIFF size/);
      const smaller = webp.slice();
      setU32le(smaller, 4, webp.length - 16);
      expect(await refusal(smaller), name).toMatch(/^excess_data: WebP RIFF size/);
      expect(await refusal(concatBytes(webp, new Uint8Array(2))), name).toMatch(/^excess_data:/);
    }
  });

  it('refuses chunk sizes that run past the RIFF data, and a cut-short RIFF that still adds up', async () => {
    const webp = fixture('rgb-q80.webp');
    const vp8 = chunkAt(webp, 'VP8 ');
    const lying = webp.slice();
    setU32le(lying, vp8 + 4, webp.length);
    expect(await refusal(lying)).toMatch(/^truncated: WebP "VP8 " chunk/);
    // Cut the bitstream and fix both sizes: the VP8 first partition now runs past its chunk.
    const cut = webp.slice(0, vp8 + 8 + 12);
    setU32le(cut, 4, cut.length - 8);
    setU32le(cut, vp8 + 4, 12);
    expect(await refusal(cut)).toMatch(/^truncated: WebP VP8 first partition/);
  });

  it('refuses a VP8X canvas that differs from the bitstream size', async () => {
    const webp = fixture('rgba-q80.webp');
    const vp8x = chunkAt(webp, 'VP8X');
    const wider = webp.slice();
    wider[vp8x + 8 + 4] += 1;
    expect(await refusal(wider)).toMatch(/^corrupt: WebP VP8X canvas is 49x32 but its bitstream is 48x32/);
  });

  it('refuses a simple file with extra chunks, and an extended file with two bitstreams', async () => {
    const webp = fixture('rgb-q80.webp');
    const extra = concatBytes(webp, Uint8Array.from([0x45, 0x58, 0x49, 0x46, 2, 0, 0, 0, 1, 2]));
    setU32le(extra, 4, extra.length - 8);
    expect(await refusal(extra)).toMatch(/^corrupt: simple WebP file has a "EXIF" chunk/);
    const alpha = fixture('rgba-q80.webp');
    const vp8 = chunkAt(alpha, 'VP8 ');
    const twice = concatBytes(alpha, alpha.subarray(vp8));
    setU32le(twice, 4, twice.length - 8);
    expect(await refusal(twice)).toMatch(/^corrupt: .*2 image bitstreams/);
  });
});

import { deflateSync } from 'node:zlib';
import { pngHasAlpha } from '@kandinsky/protocol';
import { assemblePng, pngScanlineData, type TestPngSpec } from '@kandinsky/protocol/image-bytes/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAlphaMask } from './alpha-mask.js';
import { ImageInputError } from './image-errors.js';

/** A PNG of `spec` (plus PLTE / tRNS), zlib-compressed by node. */
function png(
  spec: Omit<TestPngSpec, 'interlace'> & { interlace?: number },
  extra: { palette?: number[]; trns?: number[] } = {},
) {
  const full = { interlace: 0, ...spec };
  return assemblePng(full, new Uint8Array(deflateSync(pngScanlineData(full))), {
    palette: extra.palette && Uint8Array.from(extra.palette),
    transparency: extra.trns && Uint8Array.from(extra.trns),
  });
}

/** The expected raster data: white where `repaint(p)`, black elsewhere. */
function expected(width: number, height: number, repaint: (p: number) => boolean): number[] {
  return Array.from({ length: width * height * 3 }, (_, i) => (repaint(Math.floor(i / 3)) ? 255 : 0));
}

describe('decodeAlphaMask (OpenAI masks: fully transparent = repaint)', () => {
  it('RGBA and grey+alpha, 8 and 16 bits, interlaced or not: only alpha exactly 0 repaints', async () => {
    const width = 9;
    const height = 7;
    // Alpha 0 on a diagonal band, 1 (almost transparent, still kept) next to it, opaque elsewhere.
    const alpha = (p: number, max: number) => ((p % width) - Math.floor(p / width) === 0 ? 0 : p % 5 === 0 ? 1 : max);
    for (const [colorType, bitDepth, interlace] of [
      [6, 8, 0],
      [6, 16, 1],
      [4, 8, 1],
      [4, 16, 0],
    ]) {
      const channels = colorType === 6 ? 4 : 2;
      const max = bitDepth === 16 ? 65535 : 255;
      const samples = Array.from({ length: width * height * channels }, (_, i) =>
        i % channels === channels - 1 ? alpha(Math.floor(i / channels), max) : (i * 37) % (max + 1),
      );
      const bytes = png({ width, height, bitDepth, colorType, interlace, samples });
      expect(pngHasAlpha(bytes)).toBe(true);
      const mask = await decodeAlphaMask(bytes);
      expect([mask.width, mask.height, mask.channels]).toEqual([width, height, 3]);
      expect([...mask.data], `colour type ${colorType}, ${bitDepth} bits`).toEqual(
        expected(width, height, (p) => alpha(p, max) === 0),
      );
    }
  });

  it('tRNS: palette entries with alpha 0, and the grey / RGB colour key', async () => {
    const width = 6;
    const height = 4;
    const indices = Array.from({ length: width * height }, (_, p) => p % 4);
    // Entry 1 transparent, entry 2 half (kept), entry 3 past the end of tRNS (opaque).
    const palette = await decodeAlphaMask(
      png(
        { width, height, bitDepth: 2, colorType: 3, samples: indices },
        { palette: [0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30], trns: [255, 0, 128] },
      ),
    );
    expect([...palette.data]).toEqual(expected(width, height, (p) => indices[p] === 1));

    const grey = Array.from({ length: width * height }, (_, p) => (p * 3) % 16);
    const greyMask = await decodeAlphaMask(
      png({ width, height, bitDepth: 4, colorType: 0, samples: grey }, { trns: [0, 9] }),
    );
    expect([...greyMask.data]).toEqual(expected(width, height, (p) => grey[p] === 9));

    const rgb = Array.from({ length: width * height * 3 }, (_, i) => (Math.floor(i / 3) % 3 === 0 ? 200 : i % 256));
    const rgbMask = await decodeAlphaMask(
      png({ width, height, bitDepth: 8, colorType: 2, samples: rgb }, { trns: [0, 200, 0, 200, 0, 200] }),
    );
    expect([...rgbMask.data]).toEqual(expected(width, height, (p) => p % 3 === 0));
  });

  it('refuses a PNG without alpha information, a JPEG, and damaged data (ImageInputError, never pixels)', async () => {
    const opaque = png({ width: 4, height: 4, bitDepth: 8, colorType: 2, samples: new Array(48).fill(7) });
    await expect(decodeAlphaMask(opaque)).rejects.toMatchObject({ code: 'unsupported_format' });
    await expect(decodeAlphaMask(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]))).rejects.toBeInstanceOf(ImageInputError);
    const good = png({ width: 4, height: 4, bitDepth: 8, colorType: 6, samples: new Array(64).fill(0) });
    await expect(decodeAlphaMask(good.subarray(0, good.length - 20))).rejects.toBeInstanceOf(ImageInputError);
  });

  it('property: any RGBA PNG decodes to white exactly where alpha is 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.infiniteStream(fc.constantFrom(0, 0, 1, 128, 255)),
        async (width, height, interlaced, alphas) => {
          const alpha = Array.from({ length: width * height }, () => alphas.next().value as number);
          const samples = alpha.flatMap((a, p) => [p & 255, 3, 9, a]);
          const bytes = png({ width, height, bitDepth: 8, colorType: 6, interlace: interlaced ? 1 : 0, samples });
          const mask = await decodeAlphaMask(bytes);
          expect([...mask.data]).toEqual(expected(width, height, (p) => alpha[p] === 0));
        },
      ),
      { numRuns: 100 },
    );
  });
});

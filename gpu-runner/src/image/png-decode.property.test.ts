import { deflateSync } from 'node:zlib';
import { assemblePng, concatBytes, pngScanlineData, type TestPngSpec } from '@kandinsky/protocol/image-bytes/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkVerdict } from '../../test/helpers/image-verdict.js';
import { decodeImage } from './decode-image.js';
import { ImageInputError } from './image-errors.js';
import { decodePngToRgb } from './png-decode.js';

const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface Case {
  spec: TestPngSpec;
  palette?: Uint8Array;
  level: number;
  idatSize: number;
}

/** Any valid PNG: every colour type and bit depth, interlaced or not, random filters, compression and IDAT split. */
const validCase: fc.Arbitrary<Case> = fc
  .record({
    colorType: fc.constantFrom(0, 2, 3, 4, 6),
    depthPick: fc.nat(4),
    width: fc.integer({ min: 1, max: 33 }),
    height: fc.integer({ min: 1, max: 33 }),
    interlace: fc.constantFrom(0, 1),
    paletteSize: fc.integer({ min: 1, max: 256 }),
    seed: fc.integer(),
    filters: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 }),
    level: fc.integer({ min: 0, max: 9 }),
    idatSize: fc.integer({ min: 1, max: 4000 }),
  })
  .map((r) => {
    const depths = DEPTHS[r.colorType];
    const bitDepth = depths[r.depthPick % depths.length];
    const entries = Math.min(r.paletteSize, 2 ** bitDepth);
    const bound = r.colorType === 3 ? entries : 2 ** bitDepth;
    let state = r.seed >>> 0;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
    const samples = Array.from({ length: r.width * r.height * CHANNELS[r.colorType] }, () => next() % bound);
    const palette = r.colorType === 3 ? Uint8Array.from({ length: entries * 3 }, () => next() & 0xff) : undefined;
    const spec = {
      width: r.width,
      height: r.height,
      bitDepth,
      colorType: r.colorType,
      interlace: r.interlace,
      samples,
      filters: r.filters,
    };
    return { spec, palette, level: r.level, idatSize: r.idatSize };
  });

/** What Pillow's `convert("RGB")` gives for these samples (the rules the fixtures pin down, written out plainly). */
function expectedRgb({ spec, palette }: Case): Uint8Array {
  const { width, height, bitDepth, colorType, samples } = spec;
  const ch = CHANNELS[colorType];
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      let v: number;
      if (colorType === 3) v = palette![samples[p] * 3 + c];
      else if (colorType === 0) {
        const s = samples[p];
        v = bitDepth === 16 ? Math.min(s, 255) : Math.round((s * 255) / (2 ** bitDepth - 1));
      } else if (colorType === 4) v = bitDepth === 16 ? samples[p * ch] >> 8 : samples[p * ch];
      else v = bitDepth === 16 ? samples[p * ch + c] >> 8 : samples[p * ch + c];
      out[p * 3 + c] = v;
    }
  }
  return out;
}

const build = (c: Case, raw = pngScanlineData(c.spec), edit: (z: Uint8Array) => Uint8Array = (z) => z) =>
  assemblePng(c.spec, edit(new Uint8Array(deflateSync(raw, { level: c.level }))), {
    palette: c.palette,
    idatSize: c.idatSize,
  });

/** The decoder's verdict, decoding twice: the same pixels both times, or the same ImageInputError code. */
async function decoderVerdict(decode: () => Promise<Uint8Array> | Uint8Array): Promise<string> {
  const once = async () => {
    try {
      return { pixels: await decode() };
    } catch (err) {
      if (!(err instanceof ImageInputError)) throw new Error(`decoder threw a non-ImageInputError: ${err}`);
      return { code: err.code };
    }
  };
  const [a, b] = [await once(), await once()];
  expect(b).toEqual(a);
  return a.code ?? 'accepted';
}

/** Damage at three levels: scanline data (then compressed properly), zlib stream, file bytes. */
const damage = fc.oneof(
  fc.record({
    level: fc.constant('raw' as const),
    op: fc.constantFrom('cut', 'append', 'flip'),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    level: fc.constant('zlib' as const),
    op: fc.constantFrom('cut', 'append', 'flip'),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({
    level: fc.constant('file' as const),
    op: fc.constantFrom('cut', 'append', 'flip'),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 12 }),
  }),
);

function apply(bytes: Uint8Array, op: string, at: number, n: number): Uint8Array {
  if (op === 'cut')
    return bytes.subarray(0, Math.max(0, bytes.length - 1 - (at % Math.max(1, Math.min(bytes.length, n * 8)))));
  if (op === 'append')
    return concatBytes(
      bytes,
      Uint8Array.from({ length: n }, (_, i) => (at + i * 37) & 0xff),
    );
  const copy = bytes.slice();
  if (copy.length > 0) copy[at % copy.length] ^= 1 + (n % 255);
  return copy;
}

describe('PNG decoding, property-based', () => {
  it('random valid PNGs pass the shared check and decode to the expected pixels', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(validCase, async (c) => {
        const png = build(c);
        expect(await checkVerdict(png)).toBe('accepted');
        expect(decodePngToRgb(png).image.data).toEqual(expectedRgb(c));
        expect((await decodeImage(png)).data).toEqual(expectedRgb(c));
        count++;
      }),
      { numRuns: 200 },
    );
    expect(count).toBe(200);
  });

  it('on damaged PNGs the check and the decoder agree, and the decoder is deterministic or throws ImageInputError', async () => {
    const verdicts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(validCase, damage, async (c, d) => {
        const raw = pngScanlineData(c.spec);
        const png =
          d.level === 'raw'
            ? build(c, apply(raw, d.op, d.at, d.n))
            : d.level === 'zlib'
              ? build(c, raw, (z) => apply(z, d.op, d.at, d.n))
              : apply(build(c), d.op, d.at, d.n);
        const check = await checkVerdict(png);
        const alone = await decoderVerdict(() => decodePngToRgb(png).image.data);
        const full = await decoderVerdict(async () => (await decodeImage(png, { maxPixels: 2 ** 40 })).data);
        // The check (own streaming inflater) and the decoder (node:zlib, whole buffer) are separate code
        // paths over the same rules: they must accept exactly the same files.
        expect(alone === 'accepted').toBe(check === 'accepted');
        expect(full === 'accepted').toBe(check === 'accepted');
        const key = `${d.level}/${check}`;
        verdicts[key] = (verdicts[key] ?? 0) + 1;
      }),
      { numRuns: 600 },
    );
    console.log(`damaged PNG verdicts (level/check verdict): ${JSON.stringify(verdicts)}`);
    // Raw damage that keeps the size (a flipped sample) is still a valid image: both sides must accept it.
    expect(Object.keys(verdicts)).toEqual(expect.arrayContaining(['raw/accepted', 'raw/truncated', 'raw/excess_data']));
  });
});

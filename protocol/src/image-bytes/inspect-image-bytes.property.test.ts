import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageBytesError } from './errors.js';
import { inspectImageBytes } from './inspect-image-bytes.js';
import { fixture, graySpec, pngWith } from './test-files.js';

const LIMITS = { maxBytes: 1 << 20, minSide: 1, maxSide: 4096, maxPixels: 4096 * 4096 };

/** Resolves to 'accepted' or the refusal code; anything but an ImageBytesError fails the property. */
async function verdict(bytes: Uint8Array): Promise<string> {
  try {
    await inspectImageBytes(bytes, LIMITS);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof ImageBytesError)) throw new Error(`threw a non-ImageBytesError: ${err}`);
    return err.code;
  }
}

const SEEDS: [string, Uint8Array][] = [
  ...[
    'rgb.png',
    'rgb-q90.jpg',
    'rgb-progressive-444.jpg',
    'rgb-420-restart.jpg',
    'rgb-q80.webp',
    'rgba-q80.webp',
    'rgb-lossless.webp',
  ].map((name): [string, Uint8Array] => [name, fixture(name)]),
  ['interlaced.png', pngWith(graySpec(13, 11, 1))],
];

/** A damaged copy of a valid file: cut, bytes flipped, bytes inserted or appended, or a slice repeated. */
const mutation = (bytes: Uint8Array) =>
  fc.oneof(
    fc.nat({ max: bytes.length }).map((n) => bytes.slice(0, n)),
    fc
      .array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((flips) => {
        const copy = bytes.slice();
        for (const [at, xor] of flips) copy[at] ^= xor;
        return copy;
      }),
    fc.tuple(fc.nat({ max: bytes.length }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, extra]) => {
      const copy = new Uint8Array(bytes.length + extra.length);
      copy.set(bytes.subarray(0, at));
      copy.set(extra, at);
      copy.set(bytes.subarray(at), at + extra.length);
      return copy;
    }),
    fc.tuple(fc.nat({ max: bytes.length }), fc.nat({ max: bytes.length })).map(([a, b]) => {
      const [from, to] = a < b ? [a, b] : [b, a];
      const copy = new Uint8Array(bytes.length + (to - from));
      copy.set(bytes.subarray(0, to));
      copy.set(bytes.subarray(from), to);
      return copy;
    }),
  );

describe('inspectImageBytes never throws anything but ImageBytesError', () => {
  it('on arbitrary bytes, with and without a valid signature in front', async () => {
    const prefixes = [
      [],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [0xff, 0xd8, 0xff],
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 512 }), async (prefix, tail) => {
        const bytes = Uint8Array.from([...prefix, ...tail]);
        expect(await verdict(bytes)).not.toBe('accepted');
      }),
      { numRuns: 400 },
    );
  });

  it('on damaged copies of valid PNG, JPEG and WebP files', async () => {
    const counts: Record<string, number> = {};
    for (const [name, bytes] of SEEDS) {
      expect(await verdict(bytes), name).toBe('accepted');
      await fc.assert(
        fc.asyncProperty(mutation(bytes), async (damaged) => {
          const code = await verdict(damaged);
          counts[code] = (counts[code] ?? 0) + 1;
        }),
        { numRuns: 150 },
      );
    }
    // The mutations reach deep checks, not just the signature.
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining(['truncated', 'corrupt', 'bad_checksum', 'excess_data']),
    );
  });
});

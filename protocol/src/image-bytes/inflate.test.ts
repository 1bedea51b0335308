import { constants, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageBytesError } from './errors.js';
import { inflateZlib } from './inflate.js';
import { concatBytes } from './png-chunks.js';
import { zlibStored, zlibZeros } from './testing/index.js';

function inflate(data: Uint8Array): Uint8Array {
  const pieces: Uint8Array[] = [];
  inflateZlib(data, (piece) => pieces.push(piece.slice()));
  return concatBytes(...pieces);
}

/** Data that compresses in interesting ways: runs, repeats at many distances, noise. */
const payload = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 5000 }))
        .map(([v, n]) => new Uint8Array(n).fill(v)),
    ),
    { maxLength: 20 },
  )
  .map((parts) => {
    // Each part, and after the first 40 kB also a copy of older data, so some matches reach far back in the window.
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (const part of parts) {
      chunks.push(part);
      length += part.length;
      if (length > 40000 && chunks.length > 1) {
        chunks.push(chunks[chunks.length - 2].subarray(0, 1000));
        length += chunks[chunks.length - 1].length;
      }
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  });
const settings = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  strategy: fc.constantFrom(
    constants.Z_DEFAULT_STRATEGY,
    constants.Z_FILTERED,
    constants.Z_HUFFMAN_ONLY,
    constants.Z_RLE,
    constants.Z_FIXED,
  ),
  windowBits: fc.integer({ min: 9, max: 15 }),
});

describe('inflateZlib', () => {
  it('inflates what node:zlib deflates, at every level and strategy (stored, fixed and dynamic blocks)', () => {
    fc.assert(
      fc.property(payload, settings, (data, options) => {
        expect(inflate(new Uint8Array(deflateSync(data, options)))).toEqual(data);
      }),
      { numRuns: 200 },
    );
    expect(inflate(zlibStored(new Uint8Array(70000).fill(3)))).toEqual(new Uint8Array(70000).fill(3));
    expect(inflate(zlibZeros(1 << 20).stream).length).toBe(zlibZeros(1 << 20).inflated);
  }, 60_000);

  it('refuses what node:zlib refuses, and on what zlib accepts gives the same bytes or finds bytes after the stream', () => {
    let refusedByBoth = 0;
    fc.assert(
      fc.property(
        payload,
        settings,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (data, options, flips, cut) => {
          const damaged = new Uint8Array(deflateSync(data, options));
          for (const [at, xor] of flips) damaged[at % damaged.length] ^= xor;
          const input = cut % 4 === 0 ? damaged.subarray(0, cut % damaged.length) : damaged;
          let expected: Uint8Array | undefined;
          try {
            expected = new Uint8Array(inflateSync(input));
          } catch {
            expected = undefined;
          }
          let actual: Uint8Array | ImageBytesError;
          try {
            actual = inflate(input);
          } catch (err) {
            if (!(err instanceof ImageBytesError)) throw err;
            actual = err;
          }
          if (expected === undefined) {
            expect(actual).toBeInstanceOf(ImageBytesError);
            refusedByBoth++;
          } else if (actual instanceof ImageBytesError) {
            expect(actual.code).toBe('excess_data');
          } else {
            expect(actual).toEqual(expected);
          }
        },
      ),
      { numRuns: 600 },
    );
    expect(refusedByBoth).toBeGreaterThan(100);
  }, 60_000);

  it('stops at the first piece its sink refuses: memory stays bounded on a 1 GiB stream', () => {
    const { stream } = zlibZeros(2 ** 30);
    let seen = 0;
    const stop = new Error('enough');
    expect(() =>
      inflateZlib(stream, (piece) => {
        seen += piece.length;
        if (seen > 1 << 20) throw stop;
      }),
    ).toThrow(stop);
    expect(seen).toBeLessThan((1 << 20) + 65536 + 1);
  }, 60_000);

  it('names truncation, checksum and trailing bytes', () => {
    const good = new Uint8Array(deflateSync(Uint8Array.from({ length: 5000 }, (_, i) => i % 251)));
    const code = (data: Uint8Array) => {
      try {
        inflate(data);
        return 'ok';
      } catch (err) {
        return (err as ImageBytesError).code;
      }
    };
    expect(code(good)).toBe('ok');
    expect(code(good.subarray(0, good.length - 1))).toBe('truncated');
    expect(code(good.subarray(0, good.length - 30))).toBe('truncated');
    const badAdler = good.slice();
    badAdler[badAdler.length - 2] ^= 4;
    expect(code(badAdler)).toBe('bad_checksum');
    expect(code(Uint8Array.from([...good, 0]))).toBe('excess_data');
    expect(code(Uint8Array.from([0x78, 0x9c, 0xff]))).toBe('corrupt'); // block type 3
  });
});

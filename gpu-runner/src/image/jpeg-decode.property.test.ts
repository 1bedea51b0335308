import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJpegStructure } from '@kandinsky/protocol/image-bytes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkVerdict } from '../../test/helpers/image-verdict.js';
import { FIXTURES } from '../../test/helpers/tensors.js';
import { ImageInputError } from './image-errors.js';
import { damageWarnings, runLibjpeg } from './jpeg-decode.js';

const PROTOCOL_FIXTURES = join(FIXTURES, '..', '..', '..', 'protocol', 'test', 'fixtures');
const SEEDS = [
  join(FIXTURES, 'image', 'decode', 'rgb-q90.jpg'),
  join(FIXTURES, 'image', 'decode', 'rgb-progressive-444.jpg'),
  join(FIXTURES, 'image', 'decode', 'gray-q90.jpg'),
  join(PROTOCOL_FIXTURES, 'rgb-420-restart.jpg'),
  join(PROTOCOL_FIXTURES, 'rgb-420-progressive.jpg'),
].map((path) => new Uint8Array(readFileSync(path)));

/** Where the first scan's data starts (after the SOS segment). */
function scanStart(jpeg: Uint8Array): number {
  for (let i = 2; i + 3 < jpeg.length; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xda) return i + 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
  }
  return 2;
}

/** Damage aimed at the entropy-coded data (where only Huffman decoding can tell), keeping the marker structure. */
const damaged = fc
  .record({
    seed: fc.nat(SEEDS.length - 1),
    op: fc.constantFrom('flip', 'cut-then-eoi', 'drop'),
    at: fc.nat(),
    value: fc.integer({ min: 1, max: 254 }),
  })
  .map(({ seed, op, at, value }) => {
    const jpeg = SEEDS[seed];
    const start = scanStart(jpeg);
    const pos = start + (at % (jpeg.length - 2 - start));
    if (op === 'flip') {
      const copy = jpeg.slice();
      // Never create or destroy a marker: keep FF bytes and the bytes after them.
      if (copy[pos] !== 0xff && copy[pos - 1] !== 0xff) copy[pos] = value === 0xff ? 0xfe : value;
      return copy;
    }
    if (op === 'cut-then-eoi') {
      const end = copy0(jpeg, pos);
      return Uint8Array.from([...jpeg.subarray(0, end), 0xff, 0xd9]);
    }
    const end = copy0(jpeg, pos);
    return Uint8Array.from([
      ...jpeg.subarray(0, end),
      ...jpeg.subarray(Math.min(jpeg.length - 2, end + 1 + (value % 8))),
    ]);
  });

/** A cut position that does not split an FF xx pair. */
function copy0(jpeg: Uint8Array, pos: number): number {
  return jpeg[pos - 1] === 0xff ? pos - 1 : pos;
}

/**
 * What libjpeg (the runner's decoder, without the shared check in front) makes of the file: 'clean' (no warning),
 * 'damaged' (a warning that it filled data in, or it gave up), or 'masked' (only a harmless warning was printed:
 * libjpeg prints its first warning only, so a later "bad Huffman code" stays unseen).
 */
async function libjpegVerdict(bytes: Uint8Array): Promise<'clean' | 'damaged' | 'masked'> {
  try {
    const { warnings } = await runLibjpeg(bytes);
    if (warnings.length === 0) return 'clean';
    return damageWarnings(warnings).length > 0 ? 'damaged' : 'masked';
  } catch (err) {
    if (!(err instanceof ImageInputError)) throw err;
    return 'damaged';
  }
}

describe('JPEG scan data, property-based', () => {
  it('the shared check accepts a damaged JPEG only when libjpeg decodes it cleanly, and refuses every one libjpeg fills in', async () => {
    const verdicts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(damaged, async (jpeg) => {
        let structured = true;
        try {
          readJpegStructure(jpeg);
        } catch {
          structured = false;
        }
        const check = await checkVerdict(jpeg);
        if (!structured) {
          expect(check).not.toBe('accepted');
          return;
        }
        // Marker structure intact: only the Huffman-decoding check and libjpeg's warnings can tell.
        const libjpeg = await libjpegVerdict(jpeg);
        if (check === 'accepted') expect(libjpeg).not.toBe('damaged');
        if (libjpeg === 'damaged') expect(check).not.toBe('accepted');
        verdicts[`${check}/${libjpeg}`] = (verdicts[`${check}/${libjpeg}`] ?? 0) + 1;
      }),
      { numRuns: 400 },
    );
    console.log(`damaged JPEG verdicts (check/libjpeg): ${JSON.stringify(verdicts)}`);
    expect(verdicts['accepted/clean']).toBeGreaterThan(10);
    expect((verdicts['truncated/damaged'] ?? 0) + (verdicts['corrupt/damaged'] ?? 0)).toBeGreaterThan(10);
  });
});

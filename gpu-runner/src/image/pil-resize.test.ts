import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixture } from '../../test/helpers/tensors.js';
import { testPattern } from '../../test/helpers/test-pattern.js';
import type { HostTensor } from '../io/safetensors.js';
import { rgbToLuma } from './pil-convert.js';
import type { PilFilterName } from './pil-filters.js';
import { pilReduce } from './pil-reduce.js';
import { pilResize } from './pil-resize.js';
import { type Raster, rasterFrom } from './raster.js';

interface ResizeCase {
  name: string;
  op: 'resize' | 'resize_then_luma' | 'luma';
  filter?: PilFilterName;
  reducing_gap?: number | null;
  src: [number, number];
  dst?: [number, number];
}

const CASES: ResizeCase[] = JSON.parse(readFileSync(join(FIXTURES, 'image', 'cases.json'), 'utf8')).resize;

/** Number of bytes that differ (the target is exact equality with Pillow 9.4.0). */
function mismatches(actual: Raster, expected: HostTensor): number {
  const shape = expected.shape.length === 2 ? [...expected.shape, 1] : expected.shape;
  expect([actual.height, actual.width, actual.channels]).toEqual(shape);
  let n = 0;
  for (let i = 0; i < actual.data.length; i++) if (actual.data[i] !== expected.data[i]) n++;
  return n;
}

describe('PIL-exact resampling (reference: Pillow 9.4.0 outputs, cases.json)', () => {
  let ref: Map<string, HostTensor>;
  beforeAll(async () => {
    ref = await fixture('image', 'pil-reference.safetensors');
  });

  for (const c of CASES) {
    it(`${c.name} matches byte for byte`, () => {
      const src = testPattern(c.src[0], c.src[1]);
      let out: Raster;
      if (c.op === 'luma') {
        out = rgbToLuma(src);
      } else {
        const [w, h] = c.dst!;
        out = pilResize(src, w, h, c.filter!, { reducingGap: c.reducing_gap ?? undefined });
        if (c.op === 'resize_then_luma') out = rgbToLuma(out);
      }
      expect(mismatches(out, ref.get(c.name)!)).toBe(0);
    });
  }

  it('reduce averages partial edge blocks over the pixels they hold', () => {
    // 3x1 gray image, factor 2: the first block averages 10 and 21 (rounding half up), the last is 200 alone.
    const out = pilReduce(rasterFrom(3, 1, 1, Uint8Array.from([10, 21, 200])), 2, 1, [0, 0, 3, 1]);
    expect(Array.from(out.data)).toEqual([16, 200]);
  });

  it('rejects invalid sizes and reducing gaps', () => {
    const src = testPattern(8, 8);
    expect(() => pilResize(src, 0, 4, 'bicubic')).toThrow(RangeError);
    expect(() => pilResize(src, 4, 4, 'bicubic', { reducingGap: 0.5 })).toThrow(/reducing_gap/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { RowBlockNoise } from './row-block-noise.js';
import { SeededNoise } from './seeded-noise.js';

describe('RowBlockNoise', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('gives each block the draws its source would give alone, stacked in block order, draw after draw', () => {
    const batched = new RowBlockNoise([
      { source: new SeededNoise(3), rows: 2 },
      { source: new SeededNoise(8), rows: 1 },
    ]);
    const alone3 = new SeededNoise(3);
    const alone8 = new SeededNoise(8);
    for (let draw = 0; draw < 2; draw++) {
      const together = batched.normal([3, 5]);
      const a = alone3.normal([2, 5]);
      const b = alone8.normal([1, 5]);
      const rows = together.arraySync() as number[][];
      expect(rows.slice(0, 2)).toEqual(a.arraySync());
      expect(rows.slice(2)).toEqual(b.arraySync());
      tf.dispose([together, a, b]);
    }
  });

  it("refuses a draw whose batch is not the blocks' total, and empty or zero-row blocks", () => {
    const noise = new RowBlockNoise([
      { source: new SeededNoise(1), rows: 1 },
      { source: new SeededNoise(2), rows: 1 },
    ]);
    expect(() => noise.normal([3, 4])).toThrow(/2 rows/);
    expect(() => new RowBlockNoise([])).toThrow(RangeError);
    expect(() => new RowBlockNoise([{ source: new SeededNoise(1), rows: 0 }])).toThrow(RangeError);
  });
});

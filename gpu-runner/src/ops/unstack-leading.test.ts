import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { unstackLeading } from './unstack-leading.js';

describe('unstackLeading', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it.each([1, 2, 5, 12])('splits %i rows in order, leaving nothing behind', (n) => {
    const t = tf.tensor3d(
      Array.from({ length: n * 6 }, (_, i) => i),
      [n, 2, 3],
    );
    const before = tf.memory().numTensors;
    const parts = unstackLeading(t);
    expect(tf.memory().numTensors).toBe(before + n);
    expect(parts.map((p) => p.shape)).toEqual(Array.from({ length: n }, () => [2, 3]));
    for (const [i, p] of parts.entries())
      expect(Array.from(p.dataSync())).toEqual([0, 1, 2, 3, 4, 5].map((v) => v + 6 * i));
    tf.dispose([t, ...parts]);
  });
});

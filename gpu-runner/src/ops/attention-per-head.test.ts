import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { batchedAttention } from './attention.js';
import { perHeadAttention } from './attention-per-head.js';

/** Max abs difference; both formulations compute the same float32 math in a different order. */
const TOL = 1e-5;

describe('perHeadAttention (2-D matmul formulation for wasm)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

  it('matches the batched formulation with 3 heads and more keys than queries', () => {
    const [q, k, v] = [
      tf.randomNormal([2, 5, 12], 0, 1, 'float32', 1),
      tf.randomNormal([2, 7, 12], 0, 1, 'float32', 2),
      tf.randomNormal([2, 7, 12], 0, 1, 'float32', 3),
    ] as tf.Tensor3D[];
    const a = perHeadAttention(q, k, v, 3, 0.5);
    const b = batchedAttention(q, k, v, 3, 0.5);
    expect(a.shape).toEqual([2, 5, 12]);
    expect(diff(a, b)).toBeLessThan(TOL);
    tf.dispose([q, k, v, a, b]);
  });

  it.each([
    ['per key and batch row', [2, 1, 1, 7]],
    ['per head and query', [1, 3, 5, 7]],
    ['one for all', [5, 7]],
  ])('applies an additive mask broadcast %s', (_, shape) => {
    const [q, k, v] = [
      tf.randomNormal([2, 5, 12], 0, 1, 'float32', 4),
      tf.randomNormal([2, 7, 12], 0, 1, 'float32', 5),
      tf.randomNormal([2, 7, 12], 0, 1, 'float32', 6),
    ] as tf.Tensor3D[];
    const mask = tf.mul(
      tf
        .randomUniform(shape as number[], 0, 1, 'float32', 7)
        .greater(0.5)
        .cast('float32'),
      -10000,
    );
    const a = perHeadAttention(q, k, v, 3, 0.3, mask);
    const b = batchedAttention(q, k, v, 3, 0.3, mask);
    expect(diff(a, b)).toBeLessThan(TOL);
    tf.dispose([q, k, v, mask, a, b]);
  });

  it('refuses a mask that does not broadcast', () => {
    const q = tf.zeros([2, 5, 12]) as tf.Tensor3D;
    const mask = tf.zeros([3, 1, 1, 5]);
    expect(() => perHeadAttention(q, q, q, 3, 1, mask)).toThrow(/does not broadcast/);
    tf.dispose([q, mask]);
  });
});

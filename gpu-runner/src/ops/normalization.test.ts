import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { groupNorm } from './normalization.js';

/**
 * GroupNorm written out the textbook way on the host (float64), for checking the pooled formulation:
 * per sample and group, mean and biased variance over positions and the group's channels.
 */
function hostGroupNorm(
  x: Float32Array,
  [n, h, w, c]: number[],
  groups: number,
  eps: number,
  gamma: number[],
  beta: number[],
) {
  const out = new Float64Array(x.length);
  const per = c / groups;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const at = (p: number, j: number) => b * h * w * c + p * c + g * per + j;
      let sum = 0;
      for (let p = 0; p < h * w; p++) for (let j = 0; j < per; j++) sum += x[at(p, j)];
      const mean = sum / (h * w * per);
      let sq = 0;
      for (let p = 0; p < h * w; p++) for (let j = 0; j < per; j++) sq += (x[at(p, j)] - mean) ** 2;
      const inv = 1 / Math.sqrt(sq / (h * w * per) + eps);
      for (let p = 0; p < h * w; p++) {
        for (let j = 0; j < per; j++)
          out[at(p, j)] = (x[at(p, j)] - mean) * inv * gamma[g * per + j] + beta[g * per + j];
      }
    }
  }
  return out;
}

describe('groupNorm', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  const shape: [number, number, number, number] = [2, 3, 5, 8];
  const gamma = [1, 2, 0.5, -1, 1.5, 0.25, 3, 1];
  const beta = [0, 0.1, -0.2, 0.3, 1, -1, 0.5, 2];

  it('matches the textbook definition on a non-square map with an offset mean (4 groups, eps 1e-5)', () => {
    const x = tf.tidy(() => tf.add(tf.randomNormal(shape, 0, 2, 'float32', 11), 5)) as tf.Tensor4D;
    const y = groupNorm(x, tf.tensor1d(gamma), tf.tensor1d(beta), 4, 1e-5);
    const expected = hostGroupNorm(x.dataSync() as Float32Array, shape, 4, 1e-5, gamma, beta);
    const got = y.dataSync();
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - expected[i]));
    expect(err).toBeLessThan(2e-5);
    tf.dispose([x, y]);
  });

  it('folds a scale-shift modulation: norm(x) * (1 + scale) + shift per sample and channel', () => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 12) as tf.Tensor4D;
    const scale = tf.randomNormal([2, 8], 0, 1, 'float32', 13);
    const shift = tf.randomNormal([2, 8], 0, 1, 'float32', 14);
    const [g, b] = [tf.tensor1d(gamma), tf.tensor1d(beta)];
    const folded = groupNorm(x, g, b, 4, 1e-5, { scale, shift });
    const explicit = tf.tidy(() =>
      tf.add(
        tf.mul(groupNorm(x, g, b, 4, 1e-5), tf.reshape(tf.add(scale, 1), [2, 1, 1, 8])),
        tf.reshape(shift, [2, 1, 1, 8]),
      ),
    );
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(folded, explicit))).dataSync()[0]);
    expect(err).toBeLessThan(1e-5);
    tf.dispose([x, scale, shift, g, b, folded, explicit]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { latentNoise } from './noise-source.js';
import { NoiseReplayError, ReplayNoise } from './replay-noise.js';

describe('ReplayNoise', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  const draws = [
    { shape: [1, 3], data: Float32Array.from([1, 2, 3]) },
    { shape: [1, 2, 1, 2], data: Float32Array.from([10, 11, 20, 21]) },
  ];

  it('returns the saved draws in order', () => {
    const noise = new ReplayNoise(draws);
    const a = noise.normal([1, 3]);
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3]);
    // NCHW [1, C=2, H=1, W=2] saved draw, requested for an NHWC latent [1, 1, 2, 2]: channels become the last axis.
    const b = latentNoise(noise, [1, 1, 2, 2]);
    expect(b.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(b.dataSync())).toEqual([10, 20, 11, 21]);
    noise.assertExhausted();
    tf.dispose([a, b]);
  });

  it('fails loudly on a shape mismatch, naming both shapes', () => {
    const noise = new ReplayNoise(draws);
    expect(() => noise.normal([3, 1])).toThrow(NoiseReplayError);
    expect(() => noise.normal([3, 1])).toThrow(/\[3,1\].*\[1,3\]/);
  });

  it('fails loudly when the draws run out, and when some were never used', () => {
    const noise = new ReplayNoise(draws.slice(0, 1));
    expect(() => noise.assertExhausted()).toThrow(/1 of 1 saved draws were never requested/);
    noise.normal([1, 3]).dispose();
    expect(() => noise.normal([1, 3])).toThrow(/only 1 draws were saved/);
  });

  it('rejects a saved draw whose data does not fill its shape', () => {
    expect(() => new ReplayNoise([{ shape: [2, 2], data: new Float32Array(3) }])).toThrow(NoiseReplayError);
  });
});

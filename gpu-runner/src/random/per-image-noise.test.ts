import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { PerImageNoise } from './per-image-noise.js';
import { SeededNoise } from './seeded-noise.js';

describe('PerImageNoise', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('gives image i the same draws it would get alone (seed + i), including rows interleaved as [prompts, negatives]', () => {
    const batched = new PerImageNoise([new SeededNoise(5), new SeededNoise(6)]);
    const together = batched.normal([4, 16]).arraySync() as number[][];
    const alone5 = new SeededNoise(5).normal([2, 16]).arraySync() as number[][];
    const alone6 = new SeededNoise(6).normal([2, 16]).arraySync() as number[][];
    // rows: image0-prompt, image1-prompt, image0-negative, image1-negative
    expect(together[0]).toEqual(alone5[0]);
    expect(together[2]).toEqual(alone5[1]);
    expect(together[1]).toEqual(alone6[0]);
    expect(together[3]).toEqual(alone6[1]);
  });

  it('is the single source itself for one image', () => {
    const a = new PerImageNoise([new SeededNoise(9)]).normal([1, 4, 2, 2]);
    const b = new SeededNoise(9).normal([1, 4, 2, 2]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
  });

  it('refuses a batch that does not split over the images', () => {
    expect(() => new PerImageNoise([new SeededNoise(1), new SeededNoise(2)]).normal([3, 16])).toThrow(/multiple/);
    expect(() => new PerImageNoise([])).toThrow();
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { perturbKernel } from './fault-injection.js';

describe('perturbKernel (test seam: a deliberately wrong kernel)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('scales one kernel’s outputs, leaves other kernels alone, and restores the original', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const softmax = () => Array.from(tf.tidy(() => tf.softmax(x).dataSync()));
    const exact = softmax();
    const restore = perturbKernel('Softmax', { relative: 1e-2 });
    try {
      const wrong = softmax();
      for (const [i, v] of wrong.entries()) expect(v).toBeCloseTo(exact[i] * 1.01, 6);
      expect(Array.from(tf.tidy(() => tf.add(x, 1).dataSync()))).toEqual([2, 3, 4]);
    } finally {
      restore();
    }
    expect(softmax()).toEqual(exact);
    x.dispose();
  });

  it('perturbs only while its condition holds, and refuses an unknown kernel', () => {
    let on = false;
    const restore = perturbKernel('Softmax', { relative: 0.5, when: () => on });
    try {
      const x = tf.tensor1d([0, 0]);
      expect(Array.from(tf.tidy(() => tf.softmax(x).dataSync()))).toEqual([0.5, 0.5]);
      on = true;
      expect(Array.from(tf.tidy(() => tf.softmax(x).dataSync()))).toEqual([0.75, 0.75]);
      x.dispose();
    } finally {
      restore();
    }
    expect(() => perturbKernel('NoSuchKernel')).toThrow(/has no kernel NoSuchKernel/);
  });
});

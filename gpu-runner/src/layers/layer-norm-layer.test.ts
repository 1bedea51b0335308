import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { LayerNormLayer } from './layer-norm-layer.js';

describe('LayerNormLayer', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('normalizes the last axis with biased variance, then applies weight and bias (checked by hand)', () => {
    const layer = new LayerNormLayer({ name: 'ln', channels: 4, eps: 1e-5 });
    const x = tf.tensor3d([
      [
        [1, 2, 3, 4],
        [-2, 0, 0, 2],
      ],
    ]);
    layer.apply(x);
    layer.setWeights([tf.tensor1d([1, 2, 1, 1]), tf.tensor1d([0, 0, 0, 10])]);
    const y = layer.apply(x) as tf.Tensor;
    // Row 1: mean 2.5, biased variance 1.25; row 2: mean 0, variance 2.
    const s1 = 1 / Math.sqrt(1.25 + 1e-5);
    const s2 = 1 / Math.sqrt(2 + 1e-5);
    const expected = [
      [
        [-1.5 * s1, -0.5 * s1 * 2, 0.5 * s1, 1.5 * s1 + 10],
        [-2 * s2, 0, 0, 2 * s2 + 10],
      ],
    ];
    const got = y.arraySync() as number[][][];
    for (const [i, v] of got.flat(2).entries()) expect(v).toBeCloseTo(expected.flat(2)[i], 5);
    expect(layer.paramSpecs.map((p) => p.name)).toEqual(['weight', 'bias']);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('round-trips its config and declares no weights without elementwise affine', () => {
    const layer = new LayerNormLayer({ name: 'ln2', channels: 8, eps: 1e-12, affine: false });
    layer.apply(tf.input({ shape: [8] }));
    expect(layer.paramSpecs).toEqual([]);
    expect(layer.getConfig()).toMatchObject({ channels: 8, eps: 1e-12, affine: false, torchPrefix: 'ln2' });
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { LinearLayer } from './linear-layer.js';

describe('LinearLayer', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('computes x @ W + b on rank-3 input with W stored [in, out] (checked by hand)', () => {
    const layer = new LinearLayer({ name: 'proj', inFeatures: 2, outFeatures: 3 });
    const x = tf.tensor3d([[[1, 2]], [[3, -1]]]);
    layer.apply(x);
    layer.setWeights([
      tf.tensor2d([
        [1, 0, 2],
        [0, 1, -1],
      ]),
      tf.tensor1d([0.5, 0, 0]),
    ]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 1, 3]);
    expect(y.arraySync()).toEqual([[[1.5, 2, 0]], [[3.5, -1, 7]]]);
    expect(layer.paramSpecs[0]).toMatchObject({
      name: 'weight',
      shape: [2, 3],
      sources: [{ key: 'weight', layout: 'linear' }],
    });
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('has no bias weight when bias is false, and applies a post-activation', () => {
    const layer = new LinearLayer({ name: 'p', inFeatures: 1, outFeatures: 1, bias: false, postActivation: 'relu' });
    const x = tf.tensor2d([[2], [-3]]);
    layer.apply(x);
    expect(layer.paramSpecs.map((p) => p.name)).toEqual(['weight']);
    layer.setWeights([tf.tensor2d([[2]])]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.arraySync()).toEqual([[4], [0]]);
    expect(layer.getConfig()).toMatchObject({ inFeatures: 1, outFeatures: 1, bias: false, postActivation: 'relu' });
    tf.dispose([x, y]);
    layer.dispose();
  });
});

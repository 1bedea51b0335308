import * as tf from '@tensorflow/tfjs';
import { conv2d } from './conv2d.js';
import { groupNorm } from './normalization.js';
import { resizeNearest } from './resample.js';

/** The reference hard-codes 32 groups and eps 1e-6 in `SpatialNorm`, whatever the model config says. */
export const SPATIAL_NORM_GROUPS = 32;
export const SPATIAL_NORM_EPS = 1e-6;

/**
 * MoVQ's spatially conditioned norm: `GroupNorm(f) * conv_y(zq') + conv_b(zq')`, where `zq'` is the latent resized
 * (nearest) to the feature map. `weight(name)` returns the weight `<prefix>norm_layer.weight` and friends.
 */
export function spatialNorm(
  f: tf.Tensor4D,
  zq: tf.Tensor4D,
  weight: (name: string) => tf.Tensor,
  prefix: string,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = f.shape;
    const zqResized = resizeNearest(zq, h, w);
    const normed = groupNorm(
      f,
      weight(`${prefix}norm_layer.weight`),
      weight(`${prefix}norm_layer.bias`),
      SPATIAL_NORM_GROUPS,
      SPATIAL_NORM_EPS,
    );
    const scale = conv2d(
      zqResized,
      weight(`${prefix}conv_y.weight`) as tf.Tensor4D,
      weight(`${prefix}conv_y.bias`) as tf.Tensor1D,
    );
    const shift = conv2d(
      zqResized,
      weight(`${prefix}conv_b.weight`) as tf.Tensor4D,
      weight(`${prefix}conv_b.bias`) as tf.Tensor1D,
    );
    return tf.add(tf.mul(normed, scale), shift) as tf.Tensor4D;
  });
}

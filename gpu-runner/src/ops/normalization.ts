import * as tf from '@tensorflow/tfjs';

/** A per-sample, per-channel modulation applied after a norm: `y * (1 + scale) + shift` (scale-shift conditioning). */
export interface NormModulation {
  /** `[B, C]`. */
  scale: tf.Tensor;
  /** `[B, C]`. */
  shift: tf.Tensor;
}

/**
 * GroupNorm over NHWC input, as `torch.nn.GroupNorm(groups, C, eps)`: statistics per sample and per group of
 * `C / groups` consecutive channels over all positions (biased variance, two-pass), then a per-channel affine and an
 * optional scale-shift modulation.
 *
 * Why it is written this way: reducing over the spatial axis of NHWC makes wasm transpose the whole map first (and a
 * matmul against a block-of-ones matrix makes XNNPACK repack the map as weights every call), which together cost
 * more than the convolutions around the norm. Here the spatial means are a global average pool (one streaming pass
 * in XNNPACK), everything per channel is computed on `[B, C]` tensors, and the map itself is touched by four
 * element-wise passes (centre, square, scale, shift), the affine and the modulation folded into the last two.
 */
export function groupNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  groups: number,
  eps: number,
  modulation?: NormModulation,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    if (c % groups !== 0) throw new Error(`GroupNorm: ${c} channels do not split into ${groups} groups`);
    const perGroup = c / groups;
    // Global average pool: [n, h, w, c] -> [n, c] per-channel spatial means.
    const spatialMean = (t: tf.Tensor4D) => tf.reshape(tf.avgPool(t, [h, w], [h, w], 'valid'), [n, c]);
    // Channel means [n, c] -> group means, broadcast back to every channel of the group.
    const groupMean = (channelMeans: tf.Tensor) =>
      tf.reshape(
        tf.broadcastTo(tf.mean(tf.reshape(channelMeans, [n, groups, perGroup]), -1, true), [n, groups, perGroup]),
        [n, c],
      );
    const mean = groupMean(spatialMean(x));
    const centered = tf.sub(x, tf.reshape(mean, [n, 1, 1, c])) as tf.Tensor4D;
    const variance = groupMean(spatialMean(tf.square(centered)));
    let scale: tf.Tensor = tf.rsqrt(tf.add(variance, eps)); // [n, c]
    let shift: tf.Tensor | undefined = beta ? tf.broadcastTo(beta, [n, c]) : undefined;
    if (gamma) scale = tf.mul(scale, gamma);
    if (modulation) {
      const factor = tf.add(modulation.scale, 1);
      scale = tf.mul(scale, factor);
      shift = shift ? tf.add(tf.mul(shift, factor), modulation.shift) : modulation.shift;
    }
    let y: tf.Tensor = tf.mul(centered, tf.reshape(scale, [n, 1, 1, c]));
    if (shift) y = tf.add(y, tf.reshape(shift, [n, 1, 1, c]));
    return y as tf.Tensor4D;
  });
}

/** LayerNorm over the last axis, as `torch.nn.LayerNorm(C, eps)` (biased variance). */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  eps: number,
): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}

import * as tf from '@tensorflow/tfjs';

/**
 * GroupNorm over NHWC input, as `torch.nn.GroupNorm(groups, C, eps)`: statistics per sample and per group of
 * `C / groups` consecutive channels over all positions (biased variance), then a per-channel affine.
 */
export function groupNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  groups: number,
  eps: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    if (c % groups !== 0) throw new Error(`GroupNorm: ${c} channels do not split into ${groups} groups`);
    const grouped = tf.reshape(x, [n, h * w, groups, c / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, eps)));
    let y: tf.Tensor = tf.reshape(normed, [n, h, w, c]);
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y as tf.Tensor4D;
  });
}

/** LayerNorm over the last axis, as `torch.nn.LayerNorm(C, eps)` (biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor | undefined, beta: tf.Tensor | undefined, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}

import * as tf from '@tensorflow/tfjs';

/** The activation functions the reference models use, by their config names. */
export type ActivationName = 'silu' | 'swish' | 'gelu' | 'quick_gelu' | 'relu';

/** `x * sigmoid(x)`. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (PyTorch's default, not the tanh approximation). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** CLIP's `x * sigmoid(1.702 x)`. */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** Applies an activation by its config name. */
export function activation(name: ActivationName | string, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'silu':
    case 'swish':
      return silu(x);
    case 'gelu':
      return gelu(x);
    case 'quick_gelu':
    // TF.js camel-cases string values of layer configs when it reads a model.json back ("quick_gelu" -> "quickGelu").
    case 'quickGelu':
      return quickGelu(x);
    case 'relu':
      return tf.relu(x);
    default:
      throw new Error(`unsupported activation "${name}"`);
  }
}

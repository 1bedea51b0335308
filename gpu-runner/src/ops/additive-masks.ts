import * as tf from '@tensorflow/tfjs';

/**
 * `torch.finfo(torch.float32).min`: what transformers adds to the attention scores of masked positions (XLM-R's
 * padding mask, CLIP's causal mask). Adding it to a finite score stays finite, so softmax gives those keys exactly 0.
 */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * A padding mask `[B, L]` (1 = token, 0 = padding) as an additive key mask `[B, 1, 1, L]`: `(1 - mask) * finfo.min`,
 * broadcast over heads and queries (transformers' `get_extended_attention_mask`).
 */
export function additivePaddingMask(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, l] = mask.shape;
    const blocked = tf.sub(1, tf.cast(mask, 'float32'));
    return tf.reshape(tf.mul(blocked, FLOAT32_MIN), [b, 1, 1, l]) as tf.Tensor4D;
  });
}

/** A causal mask `[1, 1, L, L]`: query `i` may attend keys `j <= i`; later keys get `finfo.min`. */
export function additiveCausalMask(length: number): tf.Tensor4D {
  return tf.tidy(() => {
    const allowed = tf.linalg.bandPart(tf.ones([length, length]), -1, 0);
    return tf.reshape(tf.mul(tf.sub(1, allowed), FLOAT32_MIN), [1, 1, length, length]) as tf.Tensor4D;
  });
}

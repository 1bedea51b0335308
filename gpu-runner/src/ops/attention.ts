import * as tf from '@tensorflow/tfjs';
import { perHeadAttention } from './attention-per-head.js';

/**
 * Multi-head scaled dot-product attention on `[B, N, heads * headDim]` projections, softmax in float32.
 * `mask` is additive and broadcasts against `[B, heads, Nq, Nk]`.
 *
 * On wasm it runs head by head as 2-D matmuls (see `perHeadAttention`: batched or transposed matmuls fall to a
 * scalar loop there). Elsewhere (tfjs-node / GPU) the heads are folded into the batch axis: two batched matmuls and
 * one softmax, which is what those backends are fastest at.
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  scale: number,
  mask?: tf.Tensor,
): tf.Tensor3D {
  if (tf.getBackend() === 'wasm') return perHeadAttention(q, k, v, heads, scale, mask);
  return batchedAttention(q, k, v, heads, scale, mask);
}

/** The heads-in-batch formulation (two batched matmuls); exported for tests and non-wasm backends. */
export function batchedAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  scale: number,
  mask?: tf.Tensor,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, nq, inner] = q.shape;
    const nk = k.shape[1];
    const d = inner / heads;
    const split = (t: tf.Tensor3D, n: number) => tf.transpose(tf.reshape(t, [b, n, heads, d]), [0, 2, 1, 3]);
    const qh = split(q, nq);
    const kh = split(k, nk);
    const vh = split(v, nk);
    let scores = tf.mul(tf.matMul(qh, kh, false, true), scale);
    if (mask) scores = tf.add(scores, mask);
    const probs = tf.softmax(scores, -1);
    const out = tf.matMul(probs, vh); // [b, heads, nq, d]
    return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b, nq, inner]) as tf.Tensor3D;
  });
}

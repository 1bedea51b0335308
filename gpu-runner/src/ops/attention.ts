import * as tf from '@tensorflow/tfjs';
import { type AttentionFn, mergeHeads, splitHeads } from './attention-heads.js';
import { perHeadAttention } from './attention-per-head.js';

/**
 * Multi-head scaled dot-product attention on `[B, N, heads * headDim]` projections, softmax in float32.
 * `mask` is additive and broadcasts against `[B, heads, Nq, Nk]`.
 *
 * On wasm it runs head by head as 2-D matmuls (see `perHeadAttention`: batched or transposed matmuls fall to a
 * scalar loop there). Elsewhere (tfjs-node / GPU) the heads are folded into the batch axis: two batched matmuls and
 * one softmax, which is what those backends are fastest at.
 */
export const multiHeadAttention: AttentionFn = (q, k, v, heads, scale, mask) => {
  if (tf.getBackend() === 'wasm') return perHeadAttention(q, k, v, heads, scale, mask);
  return batchedAttention(q, k, v, heads, scale, mask);
};

/** The heads-in-batch formulation (two batched matmuls); exported for tests and non-wasm backends. */
export const batchedAttention: AttentionFn = (q, k, v, heads, scale, mask) =>
  tf.tidy(() => {
    let scores = tf.mul(tf.matMul(splitHeads(q, heads), splitHeads(k, heads), false, true), scale);
    if (mask) scores = tf.add(scores, mask);
    const probs = tf.softmax(scores, -1);
    return mergeHeads(tf.matMul(probs, splitHeads(v, heads)) as tf.Tensor4D);
  });

import * as tf from '@tensorflow/tfjs';

/**
 * `x @ W + b` over the last axis, with `W` stored `[in, out]`. Inputs of any rank are folded to 2-D first: the wasm
 * backend only hands 2-D, untransposed matmuls to XNNPACK (a rank-3 matmul falls back to a scalar loop).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1] as number;
    const outDim = weight.shape[1] as number;
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]);
    // Fused bias: added while the matmul writes its output.
    const y = tf.fused.matMul({ a: x2 as tf.Tensor2D, b: weight as tf.Tensor2D, bias });
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  });
}

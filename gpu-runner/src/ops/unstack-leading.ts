import * as tf from '@tensorflow/tfjs';

/**
 * Splits a tensor along its first axis into `shape[0]` tensors of `shape.slice(1)` (like `tf.unstack(t, 0)`).
 *
 * Why not `unstack`: on wasm every `slice` (and so `unstack`/`split`) copies the WHOLE input out of the heap before
 * taking its part, so n pieces cost n full copies. Halving recursively costs about 2·log2(n) full copies instead,
 * and `gather` is slower still (a per-element native loop).
 */
export function unstackLeading(t: tf.Tensor): tf.Tensor[] {
  const n = t.shape[0];
  const rest = t.shape.slice(1);
  if (n === 1) return [tf.reshape(t, rest)];
  return tf.tidy(() => halve(t, n, rest));
}

function halve(t: tf.Tensor, n: number, rest: number[]): tf.Tensor[] {
  if (n === 1) return [tf.reshape(t, rest)];
  const left = Math.floor(n / 2);
  const zeros = rest.map(() => 0);
  const a = tf.slice(t, [0, ...zeros], [left, ...rest]);
  const b = tf.slice(t, [left, ...zeros], [n - left, ...rest]);
  return [...halve(a, left, rest), ...halve(b, n - left, rest)];
}

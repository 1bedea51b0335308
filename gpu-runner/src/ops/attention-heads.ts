import * as tf from '@tensorflow/tfjs';

/**
 * The contract every attention formulation keeps, so they are interchangeable per backend: `q [B, Nq, heads * headDim]`,
 * `k`/`v [B, Nk, heads * headDim]` -> `[B, Nq, heads * headDim]`; `scale` multiplies `q kᵀ`; `mask` is additive and
 * broadcasts against `[B, heads, Nq, Nk]`; softmax in float32.
 */
export type AttentionFn = (
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  scale: number,
  mask?: tf.Tensor,
) => tf.Tensor3D;

/** The sizes of one attention call on `[B, N, heads * headDim]` query and key projections. */
export interface HeadGeometry {
  batch: number;
  queries: number;
  keys: number;
  /** `heads * headDim`, the projections' last axis. */
  inner: number;
  headDim: number;
}

/** Reads the sizes of an attention call (the width is checked by {@link splitHeads}). */
export function headGeometry(q: tf.Tensor3D, k: tf.Tensor3D, heads: number): HeadGeometry {
  const [batch, queries, inner] = q.shape;
  return { batch, queries, keys: k.shape[1], inner, headDim: inner / heads };
}

/**
 * `[B, N, heads * headDim]` -> heads first: `[B, heads, N, headDim]`, or with `keysLast` `[B, heads, headDim, N]`
 * (keys already transposed for `q kᵀ`, in the same single copy, so the matmul needs no `transposeB`).
 */
export function splitHeads(t: tf.Tensor3D, heads: number, keysLast = false): tf.Tensor4D {
  const [b, n, inner] = t.shape;
  if (inner % heads !== 0) throw new Error(`attention width ${inner} does not split into ${heads} heads`);
  return tf.transpose(tf.reshape(t, [b, n, heads, inner / heads]), keysLast ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/** The inverse of {@link splitHeads}: `[B, heads, N, headDim]` -> `[B, N, heads * headDim]`. */
export function mergeHeads(t: tf.Tensor4D): tf.Tensor3D {
  const [b, heads, n, d] = t.shape;
  return tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [b, n, heads * d]);
}

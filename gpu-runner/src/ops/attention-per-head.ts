import * as tf from '@tensorflow/tfjs';
import { type AttentionFn, headGeometry, splitHeads } from './attention-heads.js';

/**
 * Multi-head attention as plain 2-D matmuls, one batch row and head at a time: `softmax(q_bh k_bhᵀ · scale + mask) v_bh`.
 * Same contract as `multiHeadAttention` (`[B, N, heads * headDim]` projections, additive mask broadcasting against
 * `[B, heads, Nq, Nk]`, softmax in float32).
 *
 * Why: the wasm backend hands only 2-D, untransposed matmuls to XNNPACK; a batched matmul or `transposeB` falls to
 * a scalar loop 10-30× slower. So the keys are transposed once for all heads (`[B·heads, headDim, Nk]`), and each
 * head's operands are taken with `gather` (a native copy of just that head; `slice` would copy the whole tensor out
 * of the heap every time). Each head's scores are freed before the next head's are made.
 */
export const perHeadAttention: AttentionFn = (q, k, v, heads, scale, mask) =>
  tf.tidy(() => {
    const { batch: b, queries: nq, keys: nk, headDim: d } = headGeometry(q, k, heads);
    const headOf = (t: tf.Tensor3D, index: tf.Scalar) => tf.gather(t, index) as tf.Tensor as tf.Tensor2D;
    // The scale goes on q (Nq·d values) rather than on every score (Nq·Nk).
    const qh = tf.reshape(splitHeads(tf.mul(q, scale) as tf.Tensor3D, heads), [b * heads, nq, d]) as tf.Tensor3D;
    const khT = tf.reshape(splitHeads(k, heads, true), [b * heads, d, nk]) as tf.Tensor3D;
    const vh = tf.reshape(splitHeads(v, heads), [b * heads, nk, d]) as tf.Tensor3D;
    const maskOf = maskSelector(mask, b, heads, nq, nk);

    const rows: tf.Tensor[] = [];
    for (let bi = 0; bi < b; bi++) {
      const headOutputs: tf.Tensor[] = [];
      for (let hi = 0; hi < heads; hi++) {
        headOutputs.push(
          tf.tidy(() => {
            const index = tf.scalar(bi * heads + hi, 'int32');
            let scores: tf.Tensor = tf.matMul(headOf(qh, index), headOf(khT, index));
            const m = maskOf(bi, hi);
            if (m) scores = tf.add(scores, m);
            return tf.matMul(tf.softmax(scores, -1) as tf.Tensor2D, headOf(vh, index));
          }),
        );
      }
      rows.push(heads === 1 ? headOutputs[0] : tf.concat(headOutputs, 1));
    }
    return tf.stack(rows) as tf.Tensor3D;
  });

/**
 * The part of an additive mask (any shape broadcasting to `[B, heads, Nq, Nk]`) that applies to one batch row and
 * head, as a tensor broadcasting to `[Nq, Nk]`.
 */
function maskSelector(
  mask: tf.Tensor | undefined,
  b: number,
  heads: number,
  nq: number,
  nk: number,
): (bi: number, hi: number) => tf.Tensor | undefined {
  if (!mask) return () => undefined;
  if (mask.rank > 4) throw new Error(`attention mask of rank ${mask.rank} does not broadcast to [B, heads, Nq, Nk]`);
  const shape4 = [...Array(4 - mask.rank).fill(1), ...mask.shape] as number[];
  const [mb, mh, mq, mk] = shape4;
  const fits = (dim: number, full: number) => dim === 1 || dim === full;
  if (!fits(mb, b) || !fits(mh, heads) || !fits(mq, nq) || !fits(mk, nk)) {
    throw new Error(`attention mask [${mask.shape}] does not broadcast to [${b}, ${heads}, ${nq}, ${nk}]`);
  }
  const flat = tf.reshape(mask, [mb * mh, mq, mk]);
  return (bi, hi) => tf.gather(flat, tf.scalar((mb === 1 ? 0 : bi) * mh + (mh === 1 ? 0 : hi), 'int32'));
}

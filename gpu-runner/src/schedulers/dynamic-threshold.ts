import * as tf from '@tensorflow/tfjs';

const f32 = Math.fround;

/**
 * Dynamic thresholding (Saharia et al. 2022, "Imagen", §2.3) as diffusers' `_threshold_sample`: per batch row,
 * `s = max(quantile(|x0|, ratio), 1)` (capped at `maxValue` when given), then `x0 = clamp(x0, -s, s) / s`.
 * The quantile is PyTorch's default linear interpolation with float32 rank arithmetic; it is order-independent, so
 * NHWC rows give the reference's NCHW result. Runs the quantile on the host (one download per step).
 */
export function dynamicThreshold(x0: tf.Tensor, ratio: number, maxValue: number | null): tf.Tensor {
  const batch = x0.shape[0] ?? 1;
  const perRow = x0.size / batch;
  const values = x0.dataSync() as Float32Array;
  const scales = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const abs = Float32Array.from(values.subarray(b * perRow, (b + 1) * perRow), Math.abs).sort();
    let s = Math.max(quantileSorted(abs, ratio), 1);
    if (maxValue !== null) s = Math.min(s, maxValue);
    scales[b] = s;
  }
  const shape = [batch, ...x0.shape.slice(1).map(() => 1)];
  return tf.tidy(() => {
    const s = tf.tensor(scales, shape);
    return tf.div(tf.minimum(tf.maximum(x0, tf.neg(s)), s), s);
  });
}

/** `torch.quantile(sorted, q)` with linear interpolation: float32 rank `q·(n-1)`, torch.lerp between neighbours. */
export function quantileSorted(sorted: Float32Array, q: number): number {
  const rank = f32(f32(q) * (sorted.length - 1));
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  const weight = f32(rank - below);
  const lo = sorted[below];
  const hi = sorted[above];
  // torch.lerp's two formulas (the second keeps lerp(a, b, 1) == b exactly).
  return weight < 0.5 ? f32(lo + f32(weight * f32(hi - lo))) : f32(hi - f32(f32(hi - lo) * f32(1 - weight)));
}

import * as tf from '@tensorflow/tfjs';

/** Nearest-neighbour resize of NHWC input to `[h, w]`, with PyTorch's `F.interpolate(mode="nearest")` index rule. */
export function resizeNearest(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  const [, inH, inW] = x.shape;
  if (inH === h && inW === w) return tf.clone(x);
  if (h % inH === 0 && w % inW === 0) return upsampleInteger(x, h / inH, w / inW);
  // torch nearest picks floor(dst * in / out); gather rows then columns to reproduce it exactly.
  return tf.tidy(() => {
    const rows = tf.tensor1d(
      Array.from({ length: h }, (_, i) => Math.min(Math.floor((i * inH) / h), inH - 1)),
      'int32',
    );
    const cols = tf.tensor1d(
      Array.from({ length: w }, (_, j) => Math.min(Math.floor((j * inW) / w), inW - 1)),
      'int32',
    );
    return tf.gather(tf.gather(x, rows, 1), cols, 2) as tf.Tensor4D;
  });
}

/**
 * Integer-factor nearest upsampling, e.g. the ×2 of every upsampler. `resizeNearestNeighbor` (no corner alignment,
 * no half-pixel centres) picks source index `floor(i / f)`, which is PyTorch's rule for integer factors; it is a
 * native kernel on wasm, ~50× faster there than the broadcast-and-reshape (Tile) formulation.
 */
export function upsampleInteger(x: tf.Tensor4D, fh: number, fw: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [h * fh, w * fw], false, false);
}

/** 2×2 average pooling with stride 2 (PyTorch `F.avg_pool2d(x, 2, 2)`). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

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

/** Integer-factor nearest upsampling by broadcasting (no gathers), e.g. the ×2 of every upsampler. */
export function upsampleInteger(x: tf.Tensor4D, fh: number, fw: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const expanded = tf.broadcastTo(tf.reshape(x, [n, h, 1, w, 1, c]), [n, h, fh, w, fw, c]);
    return tf.reshape(expanded, [n, h * fh, w * fw, c]) as tf.Tensor4D;
  });
}

/** 2×2 average pooling with stride 2 (PyTorch `F.avg_pool2d(x, 2, 2)`). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid');
}

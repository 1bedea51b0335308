import * as tf from '@tensorflow/tfjs';

/** Padding as PyTorch states it: one number for all sides, or `[top, bottom, left, right]`. */
export type TorchPadding = number | [number, number, number, number];

/**
 * A 2-D convolution over NHWC input with an HWIO kernel, padded the way a PyTorch `Conv2d` (or `F.pad` + conv) is.
 * Explicit padding keeps asymmetric cases (MoVQ's `(0,1,0,1)` downsample) exact.
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  stride = 1,
  padding: TorchPadding = 0,
): tf.Tensor4D {
  const [t, b, l, r] = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
  const pad =
    t === 0 && b === 0 && l === 0 && r === 0
      ? 'valid'
      : ([
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ] as tf.backend_util.ExplicitPadding);
  // The bias rides in the fused kernel (XNNPACK adds it while writing the output: no extra pass over the map).
  return tf.fused.conv2d({ x, filter: kernel, strides: stride, pad, bias });
}

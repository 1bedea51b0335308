import * as tf from '@tensorflow/tfjs';

/**
 * Where the standard-normal draws of a generation come from. Every random tensor a pipeline or scheduler needs is
 * requested through one of these, in the reference's order and in the reference's (PyTorch, NCHW) shape, so a run can
 * be made reproducible ({@link SeededNoise}) or replay the exact draws the reference made ({@link ReplayNoise}).
 */
export interface NoiseSource {
  /** Draws `prod(shape)` independent N(0, 1) values as a float32 tensor of `shape` (row-major, PyTorch layout). */
  normal(shape: readonly number[]): tf.Tensor;
}

/**
 * Draws latent noise for an NHWC tensor of `nhwcShape`. The draw is made in the reference's NCHW shape and then
 * transposed, so the value at (b, c, y, x) is the one PyTorch would put there: the same seed gives the same image
 * as the reference's layout would, and saved reference draws can be injected unchanged.
 */
export function latentNoise(source: NoiseSource, nhwcShape: readonly number[]): tf.Tensor4D {
  if (nhwcShape.length !== 4) throw new Error(`latent noise needs an NHWC shape, got [${nhwcShape}]`);
  const [b, h, w, c] = nhwcShape;
  const nchw = source.normal([b, c, h, w]);
  try {
    return tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D;
  } finally {
    nchw.dispose();
  }
}

/** Draws noise shaped like `like` (NHWC latents go through {@link latentNoise}; other ranks are drawn as they are). */
export function noiseLike(source: NoiseSource, like: tf.Tensor): tf.Tensor {
  return like.rank === 4 ? latentNoise(source, like.shape) : source.normal(like.shape);
}

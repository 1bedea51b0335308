import * as tf from '@tensorflow/tfjs';

/**
 * The keep-mask of an inpainting request at image resolution: input masks are **white = repaint**; values are
 * binarized at 0.5 and inverted (`1 - mask`), so 1 = keep, 0 = repaint (diffusers `prepare_mask_and_masked_image`).
 * `mask` is `[H, W]` in [0, 1].
 */
export function keepMaskFromRepaintMask(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sub(1, tf.cast(tf.greaterEqual(mask, 0.5), 'float32')) as tf.Tensor2D);
}

/**
 * The keep-mask on the latent grid, as the reference prepares it: `F.interpolate(mode="nearest")` to `[h, w]`
 * (source index `floor(i · in/out)` with a float32 scale), then diffusers' `prepare_mask`: every latent pixel that is
 * 0 (repaint) also zeroes its neighbours (i-1, j), (i, j-1), (i-1, j-1), (i+1, j), (i, j+1), (i+1, j+1) — a
 * 6-neighbour erosion of the keep region (not 8: the anti-diagonal neighbours stay). Returns `[1, h, w, 1]`.
 */
export function latentKeepMask(keepMask: tf.Tensor2D, height: number, width: number): tf.Tensor4D {
  const [inH, inW] = keepMask.shape;
  const source = keepMask.dataSync();
  const scaleY = Math.fround(inH / height);
  const scaleX = Math.fround(inW / width);
  const old = new Float32Array(height * width);
  for (let i = 0; i < height; i++) {
    const sy = Math.min(Math.floor(Math.fround(i * scaleY)), inH - 1);
    for (let j = 0; j < width; j++) {
      const sx = Math.min(Math.floor(Math.fround(j * scaleX)), inW - 1);
      old[i * width + j] = source[sy * inW + sx];
    }
  }
  const mask = old.slice();
  const zero = (i: number, j: number) => {
    if (i >= 0 && j >= 0 && i < height && j < width) mask[i * width + j] = 0;
  };
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      if (old[i * width + j] === 1) continue;
      zero(i - 1, j);
      zero(i, j - 1);
      zero(i - 1, j - 1);
      zero(i + 1, j);
      zero(i, j + 1);
      zero(i + 1, j + 1);
    }
  }
  return tf.tensor4d(mask, [1, height, width, 1]);
}

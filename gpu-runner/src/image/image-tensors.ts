import * as tf from '@tensorflow/tfjs';
import {
  CLIP_IMAGE_PROCESSOR_DEFAULTS,
  type ClipImageProcessorConfig,
  clipPreprocess,
} from './clip-image-processor.js';
import { prepareInitImage } from './init-image.js';
import { latentKeepMask } from './inpaint-mask.js';
import type { Raster } from './raster.js';

/** img2img/inpaint init images -> `[B, height, width, 3]` float32 in [-1, 1] (the `movq.encode` input, NHWC). */
export function initImagesToTensor(images: Raster[], width: number, height: number): tf.Tensor4D {
  const per = height * width * 3;
  const data = new Float32Array(images.length * per);
  for (const [i, img] of images.entries()) data.set(prepareInitImage(img, width, height), i * per);
  return tf.tensor4d(data, [images.length, height, width, 3]);
}

/** Images -> CLIP `pixel_values` as `[B, cropH, cropW, 3]` NHWC float32 (the image encoder input). */
export function clipImagesToTensor(
  images: Raster[],
  config: ClipImageProcessorConfig = CLIP_IMAGE_PROCESSOR_DEFAULTS,
): tf.Tensor4D {
  const outs = images.map((img) => clipPreprocess(img, config));
  const { height, width } = outs[0] ?? { height: config.crop_size.height, width: config.crop_size.width };
  const data = new Float32Array(outs.length * height * width * 3);
  for (const [i, o] of outs.entries()) data.set(o.pixels, i * height * width * 3);
  return tf.tensor4d(data, [outs.length, height, width, 3]);
}

/**
 * A pixel keep-mask `[height * width]` -> the eroded latent keep-mask `[1, latentHeight, latentWidth, 1]` the inpaint
 * U-Net input and the masked image latents use (see {@link latentKeepMask}).
 */
export function latentKeepMaskTensor(
  keep: Float32Array,
  height: number,
  width: number,
  latentHeight: number,
  latentWidth: number,
): tf.Tensor4D {
  return tf.tensor4d(latentKeepMask(keep, height, width, latentHeight, latentWidth), [1, latentHeight, latentWidth, 1]);
}

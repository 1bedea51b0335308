import type * as tf from '@tensorflow/tfjs';

export { type Img2ImgSchedule, img2imgSchedule } from '@kandinsky/protocol';

import { addNoiseFromSchedule } from '../schedulers/add-noise.js';
import { linearBetas, noiseSchedule } from '../schedulers/beta-schedules.js';

let img2imgAlphasCumprod: Float32Array | undefined;

/**
 * `KandinskyImg2ImgPipeline.add_noise`: the pipeline noises the encoded image with its **own** hard-coded schedule
 * (`betas = linspace(0.0001, 0.02, 1000)`), not the decoder scheduler's 0.00085..0.012.
 */
export function img2imgAddNoise(latents: tf.Tensor, noise: tf.Tensor, timestep: number): tf.Tensor {
  img2imgAlphasCumprod ??= noiseSchedule(linearBetas(0.0001, 0.02, 1000)).alphasCumprod;
  return addNoiseFromSchedule(img2imgAlphasCumprod, latents, noise, [timestep]);
}

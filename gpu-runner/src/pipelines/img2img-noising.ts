import type * as tf from '@tensorflow/tfjs';
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

/** Which part of the schedule an img2img run denoises. */
export interface Img2ImgSchedule {
  /** Index of the first denoising step in the full `steps`-step schedule. */
  startIndex: number;
  /** The timestep the image latents are noised to: `int(T · strength) - 2` (not the first loop timestep). */
  noiseTimestep: number;
}

/**
 * diffusers `get_timesteps` + `latent_timestep`: `init = min(int(steps · strength), steps)`, the loop runs the last
 * `init` timesteps, and the latents are noised to `int(1000 · strength) - 2` (0.3 -> 298). Python's `int()`
 * truncates the float product, as `Math.trunc` does.
 */
export function img2imgSchedule(steps: number, strength: number, numTrainTimesteps = 1000): Img2ImgSchedule {
  const init = Math.min(Math.trunc(steps * strength), steps);
  return { startIndex: Math.max(steps - init, 0), noiseTimestep: Math.trunc(numTrainTimesteps * strength) - 2 };
}

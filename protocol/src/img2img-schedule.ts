/** Which part of the decoder's schedule an img2img run denoises (diffusers `get_timesteps` + `latent_timestep`). */
export interface Img2ImgSchedule {
  /** Index of the first denoising step in the full `steps`-step schedule. */
  startIndex: number;
  /** Denoising steps actually run: `min(int(steps · strength), steps)`. */
  stepsRun: number;
  /** The timestep the image latents are noised to: `int(T · strength) - 2` (not the first loop timestep). */
  noiseTimestep: number;
}

/**
 * diffusers `KandinskyImg2ImgPipeline`: `init = min(int(steps · strength), steps)`, the loop runs the last `init`
 * timesteps, and the latents are noised to `int(1000 · strength) - 2` (0.3 -> 298). Python's `int()` truncates the
 * float product, as `Math.trunc` does.
 */
export function img2imgSchedule(steps: number, strength: number, numTrainTimesteps = 1000): Img2ImgSchedule {
  const stepsRun = Math.min(Math.trunc(steps * strength), steps);
  return {
    startIndex: Math.max(steps - stepsRun, 0),
    stepsRun,
    noiseTimestep: Math.trunc(numTrainTimesteps * strength) - 2,
  };
}

/**
 * Why `steps` and `strength` cannot run as img2img, or null when they can: the run needs at least one denoising step
 * (`int(steps · strength) >= 1`) and a noising timestep of at least 0 (`strength >= 0.002`).
 */
export function img2imgProblem(steps: number, strength: number): string | null {
  const schedule = img2imgSchedule(steps, strength);
  if (schedule.noiseTimestep < 0) return `strength ${strength} is below the smallest usable 0.002`;
  if (schedule.stepsRun < 1) {
    return `strength ${strength} of ${steps} steps leaves no denoising step (needs int(steps × strength) >= 1)`;
  }
  return null;
}

import type * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from '../random/noise-source.js';

/** The samplers this port offers: `ddim`, `ddpm` and `dpmpp_2m` for the decoder, `unclip` for the prior. */
export type SchedulerName = 'ddim' | 'ddpm' | 'dpmpp_2m' | 'unclip';

/** One denoising step's inputs. */
export interface SchedulerStepInput {
  /** Position of this step in {@link Scheduler.timesteps}. */
  index: number;
  /**
   * The model's prediction at `timesteps[index]`, in the sample's layout (NHWC latents or `[B, D]` embeddings).
   * For a learned-variance model (`out_channels = 2 * in_channels`) the channels are `[eps, variance]`; schedulers
   * that do not use the variance ({@link Scheduler.learnedVariance} false) refuse it, so the pipeline must drop it.
   */
  modelOutput: tf.Tensor;
  /** The current noisy sample x_t. */
  sample: tf.Tensor;
  /** Where the step's own noise comes from (drawn only by stochastic steps, in the reference's order). */
  noise: NoiseSource;
}

/** One denoising step's outputs; the caller owns (and disposes) both tensors. */
export interface SchedulerStepOutput {
  /** x at the next timestep. */
  prevSample: tf.Tensor;
  /** The step's estimate of the clean sample x_0. */
  predOriginalSample: tf.Tensor;
}

/**
 * The interface every sampler implements (the diffusers `set_timesteps` / `step` contract, one signature for all,
 * as in k-diffusion). A scheduler instance serves one generation at a time: multistep solvers keep history between
 * steps, reset by {@link setTimesteps} and released by {@link dispose}.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** The standard deviation of the initial noise (1 for every Kandinsky scheduler). */
  readonly initNoiseSigma: number;
  /** True when `step` consumes the variance channels of a learned-variance model (DDPM `learned_range`). */
  readonly learnedVariance: boolean;
  /** The timesteps of the current schedule, first (noisiest) to last; empty before {@link setTimesteps}. */
  readonly timesteps: readonly number[];
  /** Chooses `count` timesteps (and resets any history). Throws a RangeError for counts the scheduler cannot do. */
  setTimesteps(count: number): void;
  /** Takes step `input.index`. */
  step(input: SchedulerStepInput): SchedulerStepOutput;
  /** Releases tensors kept between steps. */
  dispose(): void;
}

/** Schedulers that can noise a clean sample to a given training timestep (forward process q(x_t | x_0)). */
export interface NoisingScheduler extends Scheduler {
  /** `sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) noise`, with one timestep per batch row. */
  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[]): tf.Tensor;
}

/** A scheduler config value the port does not implement: named, never silently ignored. */
export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
}

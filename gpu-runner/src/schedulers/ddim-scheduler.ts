import * as tf from '@tensorflow/tfjs';
import { addNoiseFromSchedule } from './add-noise.js';
import { checkSameShape, timestepAt } from './discrete-scheduler.js';
import { LeadingSpacingScheduler } from './leading-spacing-scheduler.js';
import type { NoisingScheduler, SchedulerStepInput, SchedulerStepOutput } from './scheduler.js';
import { KANDINSKY_DDIM_CONFIG, type RawSchedulerConfig, read, requireValue } from './scheduler-config.js';

const f32 = Math.fround;

/**
 * DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12 with η = 0): deterministic,
 * `x0 = (x_t - sqrt(1-ᾱ_t) ε) / sqrt(ᾱ_t)`, `x_prev = sqrt(ᾱ_prev) x0 + sqrt(1-ᾱ_prev) ε`, where
 * `prev = t - T // n` and `ᾱ_prev = ᾱ_0` below 0 (`set_alpha_to_one=False`). Leading spacing plus `steps_offset`,
 * as diffusers' `DDIMScheduler` with Kandinsky's config. Coefficients in float32 like the reference.
 */
export class DdimScheduler extends LeadingSpacingScheduler implements NoisingScheduler {
  readonly name = 'ddim' as const;
  readonly learnedVariance = false;
  private readonly finalAlphaCumprod: number;

  constructor(config: RawSchedulerConfig = KANDINSKY_DDIM_CONFIG) {
    super(config, 'linear');
    requireValue(config, 'prediction_type', ['epsilon'], 'epsilon');
    requireValue(config, 'thresholding', [false], false);
    requireValue(config, 'clip_sample', [false], true);
    const setAlphaToOne = read(config, 'set_alpha_to_one', true);
    this.finalAlphaCumprod = setAlphaToOne ? 1 : this.schedule.alphasCumprod[0];
  }

  step({ index, modelOutput, sample }: SchedulerStepInput): SchedulerStepOutput {
    const t = timestepAt(this.current, index);
    checkSameShape(modelOutput, sample, 'DDIM');
    const prev = this.previousTimestep(t);
    const ac = this.schedule.alphasCumprod;
    const alphaProd = ac[t];
    const alphaProdPrev = prev >= 0 ? ac[prev] : this.finalAlphaCumprod;
    const sqrtBetaProd = f32(Math.sqrt(f32(1 - alphaProd)));
    const sqrtAlphaProd = f32(Math.sqrt(alphaProd));
    const sqrtAlphaProdPrev = f32(Math.sqrt(alphaProdPrev));
    const sqrtOneMinusPrev = f32(Math.sqrt(f32(1 - alphaProdPrev)));
    return tf.tidy(() => {
      const x0 = tf.div(tf.sub(sample, tf.mul(sqrtBetaProd, modelOutput)), sqrtAlphaProd);
      const prevSample = tf.add(tf.mul(sqrtAlphaProdPrev, x0), tf.mul(sqrtOneMinusPrev, modelOutput));
      return { prevSample, predOriginalSample: x0 };
    });
  }

  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[]): tf.Tensor {
    return addNoiseFromSchedule(this.schedule.alphasCumprod, original, noise, timesteps);
  }

  dispose(): void {}
}

import * as tf from '@tensorflow/tfjs';
import { noiseLike } from '../random/noise-source.js';
import { addNoiseFromSchedule } from './add-noise.js';
import { checkSameShape, timestepAt } from './discrete-scheduler.js';
import { dynamicThreshold } from './dynamic-threshold.js';
import { LeadingSpacingScheduler } from './leading-spacing-scheduler.js';
import type { NoisingScheduler, SchedulerStepInput, SchedulerStepOutput } from './scheduler.js';
import { KANDINSKY_DDPM_CONFIG, type RawSchedulerConfig, read, requireValue } from './scheduler-config.js';

const f32 = Math.fround;

/**
 * Ancestral DDPM sampling (Ho et al. 2020, eq. 6-7) with the learned-range variance of improved DDPM (Nichol &
 * Dhariwal 2021, eq. 15), as diffusers' `DDPMScheduler` with Kandinsky's `ddpm_scheduler` config:
 * `prev = t - T // n`; `x0` from ε; dynamic thresholding (which takes precedence over `clip_sample`) or clipping;
 * `μ = sqrt(ᾱ_prev) β'/(1-ᾱ_t) x0 + sqrt(α') (1-ᾱ_prev)/(1-ᾱ_t) x_t` with `α' = ᾱ_t/ᾱ_prev`, `β' = 1 - α'`;
 * `log σ² = f log β' + (1-f) log max(β̃, 1e-20)`, `β̃ = (1-ᾱ_prev)/(1-ᾱ_t) β'`, `f = (v + 1) / 2`;
 * `x_prev = μ + σ z` with fresh noise z for t > 0. Scalar coefficients in float32 like the reference.
 */
export class DdpmScheduler extends LeadingSpacingScheduler implements NoisingScheduler {
  readonly name = 'ddpm' as const;
  readonly learnedVariance: boolean;
  private readonly thresholding: boolean;
  private readonly thresholdRatio: number;
  private readonly sampleMaxValue: number | null;
  private readonly clipRange: number | null;

  constructor(config: RawSchedulerConfig = KANDINSKY_DDPM_CONFIG) {
    super(config, 'linear');
    requireValue(config, 'prediction_type', ['epsilon'], 'epsilon');
    requireValue(config, 'variance_type', ['learned_range'], 'fixed_small');
    this.learnedVariance = true;
    this.thresholding = read(config, 'thresholding', false);
    this.thresholdRatio = read(config, 'dynamic_thresholding_ratio', 0.995);
    this.sampleMaxValue = read<number | null>(config, 'sample_max_value', null);
    this.clipRange = read(config, 'clip_sample', true) ? read(config, 'clip_sample_range', 1.0) : null;
  }

  step({ index, modelOutput, sample, noise }: SchedulerStepInput): SchedulerStepOutput {
    const t = timestepAt(this.current, index);
    const channels = sample.shape[sample.rank - 1];
    if (modelOutput.shape[modelOutput.rank - 1] !== 2 * channels) {
      throw new RangeError(
        `DDPM learned_range step: model output [${modelOutput.shape}] must carry ε and variance channels for a sample of [${sample.shape}]`,
      );
    }
    const prev = this.previousTimestep(t);
    const ac = this.schedule.alphasCumprod;
    const alphaProd = ac[t];
    const alphaProdPrev = prev >= 0 ? ac[prev] : 1;
    const betaProd = f32(1 - alphaProd);
    const betaProdPrev = f32(1 - alphaProdPrev);
    const currentAlpha = f32(alphaProd / alphaProdPrev);
    const currentBeta = f32(1 - currentAlpha);
    const x0Coeff = f32(f32(f32(Math.sqrt(alphaProdPrev)) * currentBeta) / betaProd);
    const sampleCoeff = f32(f32(f32(Math.sqrt(currentAlpha)) * betaProdPrev) / betaProd);
    const minLog = f32(Math.log(Math.max(f32(f32(betaProdPrev / betaProd) * currentBeta), 1e-20)));
    const maxLog = f32(Math.log(currentBeta));

    const [eps, variance] = tf.split(modelOutput, [channels, channels], modelOutput.rank - 1);
    try {
      checkSameShape(eps, sample, 'DDPM');
      let x0 = tf.tidy(() => tf.div(tf.sub(sample, tf.mul(f32(Math.sqrt(betaProd)), eps)), f32(Math.sqrt(alphaProd))));
      if (this.thresholding) {
        const thresholded = dynamicThreshold(x0, this.thresholdRatio, this.sampleMaxValue);
        x0.dispose();
        x0 = thresholded;
      } else if (this.clipRange !== null) {
        const clipped = tf.clipByValue(x0, -this.clipRange, this.clipRange);
        x0.dispose();
        x0 = clipped;
      }
      const mean = tf.tidy(() => tf.add(tf.mul(x0Coeff, x0), tf.mul(sampleCoeff, sample)));
      if (t === 0) return { prevSample: mean, predOriginalSample: x0 };
      const z = noiseLike(noise, sample);
      const prevSample = tf.tidy(() => {
        // frac = (v + 1) / 2; log σ² = frac·maxLog + (1 - frac)·minLog; σ = exp(0.5 log σ²).
        const frac = tf.div(tf.add(variance, 1), 2);
        const logVariance = tf.add(tf.mul(frac, maxLog), tf.mul(tf.sub(1, frac), minLog));
        return tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVariance)), z));
      });
      tf.dispose([mean, z]);
      return { prevSample, predOriginalSample: x0 };
    } finally {
      tf.dispose([eps, variance]);
    }
  }

  addNoise(original: tf.Tensor, noise: tf.Tensor, timesteps: readonly number[]): tf.Tensor {
    return addNoiseFromSchedule(this.schedule.alphasCumprod, original, noise, timesteps);
  }

  dispose(): void {}
}

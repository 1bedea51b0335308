import * as tf from '@tensorflow/tfjs';
import { noiseLike } from '../random/noise-source.js';
import { checkSameShape, DiscreteScheduler, timestepAt } from './discrete-scheduler.js';
import type { Scheduler, SchedulerStepInput, SchedulerStepOutput } from './scheduler.js';
import { KANDINSKY_UNCLIP_CONFIG, type RawSchedulerConfig, read, requireValue } from './scheduler-config.js';
import { unclipTimesteps } from './timestep-spacing.js';

const f32 = Math.fround;

/**
 * The prior's sampler: diffusers' `UnCLIPScheduler` (the DDPM posterior q(x_prev | x_t, x0) of Ho et al. 2020,
 * eq. 6-7, on the cosine schedule of Nichol & Dhariwal 2021, with `prediction_type="sample"` and
 * `variance_type="fixed_small_log"`). Step i goes from `timesteps[i]` to `timesteps[i+1]` (to `t - 1` at the end):
 * `β = β_t` if `prev = t - 1` else `1 - ᾱ_t/ᾱ_prev`; `x0 = clamp(pred, ±clip_sample_range)`;
 * `x_prev = sqrt(ᾱ_prev) β/(1-ᾱ_t) x0 + sqrt(1-β) (1-ᾱ_prev)/(1-ᾱ_t) x_t + σ z` with
 * `σ = exp(0.5 log max((1-ᾱ_prev)/(1-ᾱ_t) β, 1e-20))` and fresh noise z for t > 0.
 * Float32 coefficients matter here: at t = 999 `β` rounds to exactly 1, so the first step ignores x_t.
 */
export class UnclipScheduler extends DiscreteScheduler implements Scheduler {
  readonly name = 'unclip' as const;
  readonly learnedVariance = false;
  private readonly clipRange: number | null;

  constructor(config: RawSchedulerConfig = KANDINSKY_UNCLIP_CONFIG) {
    super(config, 'squaredcos_cap_v2');
    requireValue(config, 'prediction_type', ['sample'], 'epsilon');
    requireValue(config, 'variance_type', ['fixed_small_log'], 'fixed_small_log');
    this.clipRange = read(config, 'clip_sample', true) ? read(config, 'clip_sample_range', 1.0) : null;
  }

  setTimesteps(count: number): void {
    this.current = unclipTimesteps(count, this.numTrainTimesteps);
  }

  step({ index, modelOutput, sample, noise }: SchedulerStepInput): SchedulerStepOutput {
    const t = timestepAt(this.current, index);
    checkSameShape(modelOutput, sample, 'UnCLIP');
    const prev = index + 1 < this.current.length ? this.current[index + 1] : t - 1;
    const { alphasCumprod: ac, betas, alphas } = this.schedule;
    const alphaProd = ac[t];
    const alphaProdPrev = prev >= 0 ? ac[prev] : 1;
    const betaProd = f32(1 - alphaProd);
    const betaProdPrev = f32(1 - alphaProdPrev);
    let beta: number;
    let alpha: number;
    if (prev === t - 1) {
      beta = betas[t];
      alpha = alphas[t];
    } else {
      beta = f32(1 - f32(alphaProd / alphaProdPrev));
      alpha = f32(1 - beta);
    }
    const x0Coeff = f32(f32(f32(Math.sqrt(alphaProdPrev)) * beta) / betaProd);
    const sampleCoeff = f32(f32(f32(Math.sqrt(alpha)) * betaProdPrev) / betaProd);

    const x0 =
      this.clipRange === null ? tf.clone(modelOutput) : tf.clipByValue(modelOutput, -this.clipRange, this.clipRange);
    const mean = tf.tidy(() => tf.add(tf.mul(x0Coeff, x0), tf.mul(sampleCoeff, sample)));
    if (t <= 0) return { prevSample: mean, predOriginalSample: x0 };
    const variance = f32(Math.max(f32(f32(betaProdPrev / betaProd) * beta), 1e-20));
    const sigma = f32(Math.exp(f32(0.5 * f32(Math.log(variance)))));
    const z = noiseLike(noise, sample);
    const prevSample = tf.tidy(() => tf.add(mean, tf.mul(sigma, z)));
    tf.dispose([mean, z]);
    return { prevSample, predOriginalSample: x0 };
  }

  dispose(): void {}
}

import * as tf from '@tensorflow/tfjs';
import { checkSameShape, DiscreteScheduler, timestepAt } from './discrete-scheduler.js';
import type { Scheduler, SchedulerStepInput, SchedulerStepOutput } from './scheduler.js';
import { KANDINSKY_DDIM_CONFIG, type RawSchedulerConfig, requireValue } from './scheduler-config.js';
import { linspaceTimesteps } from './timestep-spacing.js';

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
 * Models", arXiv:2211.01095, Algorithm 2): a deterministic second-order multistep solver of the diffusion ODE in
 * data-prediction form, which needs far fewer steps than DDIM for the same image.
 *
 * On the discrete training schedule, `α_t = sqrt(ᾱ_t)`, `σ_t = sqrt(1 - ᾱ_t)`, `λ_t = log α_t - log σ_t`. With
 * `D_i = (x - σ_i ε_i) / α_i` and `h_i = λ_{i+1} - λ_i`:
 * - first step: `x_{i+1} = (σ_{i+1}/σ_i) x_i - α_{i+1} (e^{-h_i} - 1) D_i`;
 * - later steps, with `r_i = h_{i-1} / h_i`: the same update with `D = (1 + 1/(2 r_i)) D_i - 1/(2 r_i) D_{i-1}`.
 * Timesteps are evenly spaced from `T - 1` (`linspace` spacing) and the last step lands on training timestep 0
 * (ᾱ_0, where DDIM's last step lands too) rather than on σ = 0: jumping to σ = 0 returns the last `D` as is, which
 * from t ≈ T/n is a blurred posterior mean, while a finite last step keeps the second-order update.
 * Uses only the ε channels (a learned-variance model's variance is dropped, as DDIM does).
 */
export class DpmSolverMultistepScheduler extends DiscreteScheduler implements Scheduler {
  readonly name = 'dpmpp_2m' as const;
  readonly learnedVariance = false;
  /** The previous step's data prediction D_{i-1} and its index, kept across steps. */
  private previous?: { index: number; denoised: tf.Tensor };

  /** Takes the decoder's training schedule (the DDIM config's betas by default). */
  constructor(config: RawSchedulerConfig = KANDINSKY_DDIM_CONFIG) {
    super(config, 'linear');
    requireValue(config, 'prediction_type', ['epsilon'], 'epsilon');
  }

  setTimesteps(count: number): void {
    this.current = linspaceTimesteps(count, this.numTrainTimesteps);
    this.forget();
  }

  step({ index, modelOutput, sample }: SchedulerStepInput): SchedulerStepOutput {
    const t = timestepAt(this.current, index);
    checkSameShape(modelOutput, sample, 'DPM-Solver++');
    // A run may start mid-schedule (img2img); from then on steps must follow each other.
    if (this.previous && this.previous.index !== index - 1) {
      throw new RangeError(
        `DPM-Solver++ steps must be taken in order: step ${index} after step ${this.previous.index}`,
      );
    }
    const cur = this.point(t);
    const last = index === this.current.length - 1;
    const denoised = tf.tidy(() => tf.div(tf.sub(sample, tf.mul(cur.sigma, modelOutput)), cur.alpha));
    const next = this.point(last ? 0 : this.current[index + 1]);
    const h = next.lambda - cur.lambda;
    const sampleCoeff = next.sigma / cur.sigma;
    const dataCoeff = -next.alpha * Math.expm1(-h);
    const prevSample = tf.tidy(() => {
      let d: tf.Tensor = denoised;
      if (this.previous) {
        const before = this.point(this.current[index - 1]);
        const r = (cur.lambda - before.lambda) / h;
        d = tf.sub(tf.mul(1 + 1 / (2 * r), denoised), tf.mul(1 / (2 * r), this.previous.denoised));
      }
      return tf.add(tf.mul(sampleCoeff, sample), tf.mul(dataCoeff, d));
    });
    this.previous?.denoised.dispose();
    this.previous = last ? undefined : { index, denoised: tf.keep(tf.clone(denoised)) };
    return { prevSample, predOriginalSample: denoised };
  }

  dispose(): void {
    this.forget();
  }

  private forget(): void {
    this.previous?.denoised.dispose();
    this.previous = undefined;
  }

  private point(t: number): { alpha: number; sigma: number; lambda: number } {
    const ac = this.schedule.alphasCumprod[t];
    const alpha = Math.sqrt(ac);
    const sigma = Math.sqrt(1 - ac);
    return { alpha, sigma, lambda: Math.log(alpha) - Math.log(sigma) };
  }
}

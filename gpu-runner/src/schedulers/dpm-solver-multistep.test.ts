import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { SeededNoise } from '../random/seeded-noise.js';
import { linearBetas, noiseSchedule } from './beta-schedules.js';
import { DdimScheduler } from './ddim-scheduler.js';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.js';
import type { Scheduler } from './scheduler.js';

const alphasCumprod = noiseSchedule(linearBetas(0.00085, 0.012, 1000)).alphasCumprod;

/**
 * Samples with an exact ε-model of data ~ N(0, s²) per value: `E[x0 | x_t] = sqrt(ᾱ) s² x / (ᾱ s² + 1 - ᾱ)`, so
 * `ε = (x - sqrt(ᾱ) E[x0|x_t]) / sqrt(1 - ᾱ)`. The probability-flow ODE then maps x_T to exactly
 * `x_T · std_0 / std_T`, `std_t = sqrt(ᾱ_t s² + 1 - ᾱ_t)` (it scales each value by the ratio of marginal stds).
 */
function sampleGaussian(scheduler: Scheduler, steps: number, s: number, xT: tf.Tensor): number {
  scheduler.setTimesteps(steps);
  const noise = new SeededNoise(0);
  let x = xT.clone();
  scheduler.timesteps.forEach((t, index) => {
    const a = alphasCumprod[t];
    const eps = tf.tidy(() => {
      const mean = tf.mul(x, (Math.sqrt(a) * s * s) / (a * s * s + 1 - a));
      return tf.div(tf.sub(x, tf.mul(Math.sqrt(a), mean)), Math.sqrt(1 - a));
    });
    const out = scheduler.step({ index, modelOutput: eps, sample: x, noise });
    tf.dispose([eps, x, out.predOriginalSample]);
    x = out.prevSample;
  });
  // Both samplers end at training timestep 0 (ᾱ_0); the exact answer is x_T scaled by the ratio of marginal stds.
  const std = (t: number) => Math.sqrt(alphasCumprod[t] * s * s + 1 - alphasCumprod[t]);
  const t0 = scheduler.timesteps[0];
  const error = tf.tidy(() => tf.max(tf.abs(tf.sub(x, tf.mul(xT, std(0) / std(t0))))).dataSync()[0]);
  x.dispose();
  return error;
}

describe('DPM-Solver++(2M)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('spaces timesteps evenly from 999 (the last step goes to timestep 0)', () => {
    const dpm = new DpmSolverMultistepScheduler();
    dpm.setTimesteps(4);
    expect(dpm.timesteps).toEqual([999, 749, 500, 250]);
    dpm.setTimesteps(1);
    expect(dpm.timesteps).toEqual([999]);
    expect(() => dpm.setTimesteps(0)).toThrow(RangeError);
  });

  it('stays exactly on the trajectory of a point-mass data distribution, to timestep 0', () => {
    const dpm = new DpmSolverMultistepScheduler();
    dpm.setTimesteps(6);
    const target = tf.tensor2d([[0.5, -1.25, 2, 0]]);
    const eps0 = tf.tensor2d([[1.5, -0.3, 0.7, -2]]);
    const noise = new SeededNoise(0);
    const at = (t: number) =>
      tf.add(tf.mul(Math.sqrt(alphasCumprod[t]), target), tf.mul(Math.sqrt(1 - alphasCumprod[t]), eps0));
    let x = at(dpm.timesteps[0]);
    dpm.timesteps.forEach((t, index) => {
      // The exact ε for a point mass at `target`.
      const eps = tf.tidy(() =>
        tf.div(tf.sub(x, tf.mul(Math.sqrt(alphasCumprod[t]), target)), Math.sqrt(1 - alphasCumprod[t])),
      );
      const out = dpm.step({ index, modelOutput: eps, sample: x, noise });
      const expected = at(index + 1 < dpm.timesteps.length ? dpm.timesteps[index + 1] : 0);
      expect(tf.max(tf.abs(tf.sub(out.prevSample, expected))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([eps, x, expected, out.predOriginalSample]);
      x = out.prevSample;
    });
    tf.dispose([x, target, eps0]);
  });

  it('converges at second order on the Gaussian probability-flow ODE (DDIM: first order)', () => {
    const xT = new SeededNoise(3).normal([1, 64]);
    const error = (make: () => Scheduler, steps: number) => sampleGaussian(make(), steps, 0.5, xT);
    const dpm = () => new DpmSolverMultistepScheduler();
    const ddim = () => new DdimScheduler();
    // 4x the steps: a second-order method cuts the error ~16x (uneven λ steps make it less), a first-order one ~4x.
    const dpmGain = error(dpm, 50) / error(dpm, 200);
    const ddimGain = error(ddim, 50) / error(ddim, 200);
    expect(dpmGain).toBeGreaterThan(7);
    expect(ddimGain).toBeLessThan(4.5);
    expect(error(dpm, 200)).toBeLessThan(error(ddim, 200) / 2);
    expect(error(dpm, 5)).toBeLessThan(error(ddim, 5));
    xT.dispose();
  });

  it('keeps no tensors after the last step, and releases history on dispose()', () => {
    const before = tf.memory().numTensors;
    const xT = new SeededNoise(1).normal([1, 32]);
    sampleGaussian(new DpmSolverMultistepScheduler(), 5, 1, xT);
    xT.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const dpm = new DpmSolverMultistepScheduler();
    dpm.setTimesteps(3);
    const x = tf.ones([1, 4]);
    const out = dpm.step({ index: 0, modelOutput: x, sample: x, noise: new SeededNoise(0) });
    tf.dispose([x, out.prevSample, out.predOriginalSample]);
    dpm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('may start mid-schedule (img2img) but refuses steps out of order after that', () => {
    const dpm = new DpmSolverMultistepScheduler();
    dpm.setTimesteps(4);
    const x = tf.ones([1, 4]);
    const noise = new SeededNoise(0);
    const out = dpm.step({ index: 1, modelOutput: x, sample: x, noise });
    expect(() => dpm.step({ index: 3, modelOutput: x, sample: x, noise })).toThrow(/in order: step 3 after step 1/);
    tf.dispose([x, out.prevSample, out.predOriginalSample]);
    dpm.dispose();
  });
});

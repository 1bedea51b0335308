/**
 * How `kandinsky verify` measures an error and decides what is close enough.
 *
 * Error: relative to the tensor's scale, `max|ours - ref| / max(1, max|ref|)`, so activations of size 50 and
 * embeddings of size 1 are held to the same number of float32 digits.
 *
 * Tolerance: never tighter than what float32 itself allows for that model. Most components are well conditioned and
 * are held to {@link RELATIVE_FLOOR}. Decoders and whole runs can amplify input changes enormously (a tiny random
 * MoVQ decoder moves its output by ~5e-4 relative for a 1e-6 relative change of its input), so those checks measure
 * that sensitivity on this port, on this backend: rerun with the input multiplied by `1 + 1e-6·N(0, 1)`, and allow
 * {@link SENSITIVITY_MULTIPLE} times the change it caused, never less than {@link RELATIVE_FLOOR}. A port and its
 * reference differ by float32 rounding at every op, i.e. by many perturbations of about this size, hence a multiple
 * rather than the sensitivity itself; a wrong kernel moves results by far more than either.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../io/safetensors.js';
import { SeededNoise } from '../random/seeded-noise.js';

/** The smallest tolerance of any check: 1e-4 of the tensor's scale (float32 has ~7 digits; the port uses ~5). */
export const RELATIVE_FLOOR = 1e-4;

/** Relative size of the input perturbation that measures a check's float32 sensitivity. */
export const PERTURBATION = 1e-6;

/** How many times its measured sensitivity a sensitivity-checked output may be off. */
export const SENSITIVITY_MULTIPLE = 10;

/** Seed of the perturbation draws (the reference harness used 99 for its own noise-floor table). */
export const PERTURBATION_SEED = 99;

/** One output's distance from its reference. */
export interface Distance {
  /** `max|ours - ref|`. */
  maxAbsError: number;
  /** `max(1, max|ref|)`. */
  scale: number;
  /** `maxAbsError / scale`. */
  relative: number;
}

/** A tolerance and the rule that produced it (printed beside every check). */
export interface Tolerance {
  tolerance: number;
  rule: string;
  /** The measured relative sensitivity, for sensitivity-checked outputs. */
  sensitivity?: number;
}

/** The tolerance for an output: the floor, or {@link SENSITIVITY_MULTIPLE} × its measured sensitivity if larger. */
export function toleranceFor(sensitivity?: number): Tolerance {
  if (sensitivity === undefined) return { tolerance: RELATIVE_FLOOR, rule: `floor ${RELATIVE_FLOOR}` };
  const scaled = SENSITIVITY_MULTIPLE * sensitivity;
  return scaled > RELATIVE_FLOOR
    ? { tolerance: scaled, rule: `${SENSITIVITY_MULTIPLE} x sensitivity ${sensitivity.toExponential(2)}`, sensitivity }
    : {
        tolerance: RELATIVE_FLOOR,
        rule: `floor ${RELATIVE_FLOOR} (sensitivity ${sensitivity.toExponential(2)})`,
        sensitivity,
      };
}

/** The largest absolute value of a host tensor. */
export function maxAbsOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/**
 * Distance between two equally long value arrays, relative to the reference's scale. A NaN anywhere in ours makes
 * the error NaN (which fails every tolerance), as a wrong kernel producing NaN must not pass.
 */
export function distance(ours: ArrayLike<number>, ref: ArrayLike<number>): Distance {
  if (ours.length !== ref.length) throw new Error(`cannot compare ${ours.length} values with ${ref.length}`);
  let err = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (d > err || Number.isNaN(d)) err = d;
  }
  const scale = Math.max(1, maxAbsOf(ref));
  return { maxAbsError: err, scale, relative: err / scale };
}

/**
 * Our tensor in the reference's layout as host values: rank-4 NHWC tensors are transposed to NCHW when `nchw`.
 * Throws when the shapes differ (a shape mismatch is a failure, not a number).
 */
export function toReferenceLayout(ours: tf.Tensor, ref: HostTensor, nchw: boolean): Float32Array {
  return tf.tidy(() => {
    const t = nchw && ours.rank === 4 ? tf.transpose(ours, [0, 3, 1, 2]) : ours;
    if (t.shape.join() !== ref.shape.join()) {
      throw new Error(`shape [${t.shape}] does not match the reference's [${ref.shape}]`);
    }
    return tf.cast(t, 'float32').dataSync() as Float32Array;
  });
}

/** `x · (1 + PERTURBATION · N(0, 1))` with seeded draws (a new tensor; the caller owns it). */
export function perturb(x: tf.Tensor, seed = PERTURBATION_SEED): tf.Tensor {
  const noise = new SeededNoise(seed).normalValues(x.size);
  return tf.tidy(() => tf.mul(x, tf.add(1, tf.mul(PERTURBATION, tf.tensor(noise, x.shape, 'float32')))));
}

/** Host-array version of {@link perturb}. */
export function perturbValues(values: Float32Array, seed = PERTURBATION_SEED): Float32Array {
  const noise = new SeededNoise(seed).normalValues(values.length);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * (1 + PERTURBATION * noise[i]);
  return out;
}

import * as tf from '@tensorflow/tfjs';

const f32 = Math.fround;

/**
 * The forward process q(x_t | x_0) of DDPM (Ho et al. 2020, eq. 4): `sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) ε`, with one
 * timestep per batch row and float32 coefficients as diffusers computes them (`ᾱ[t] ** 0.5`, `(1 - ᾱ[t]) ** 0.5`).
 */
export function addNoiseFromSchedule(
  alphasCumprod: Float32Array,
  original: tf.Tensor,
  noise: tf.Tensor,
  timesteps: readonly number[],
): tf.Tensor {
  if (original.shape.join() !== noise.shape.join()) {
    throw new RangeError(`add_noise: noise [${noise.shape}] must have the sample's shape [${original.shape}]`);
  }
  const batch = original.shape[0] ?? 1;
  if (timesteps.length !== batch && timesteps.length !== 1) {
    throw new RangeError(`add_noise: ${timesteps.length} timesteps for a batch of ${batch}`);
  }
  const rows = Array.from({ length: batch }, (_, b) => timesteps[timesteps.length === 1 ? 0 : b]);
  for (const t of rows) {
    if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
      throw new RangeError(`add_noise: timestep ${t} is outside [0, ${alphasCumprod.length})`);
    }
  }
  const perRow = [batch, ...original.shape.slice(1).map(() => 1)];
  const signal = Float32Array.from(rows, (t) => f32(Math.sqrt(alphasCumprod[t])));
  const noiseScale = Float32Array.from(rows, (t) => f32(Math.sqrt(f32(1 - alphasCumprod[t]))));
  return tf.tidy(() =>
    tf.add(tf.mul(tf.tensor(signal, perRow), original), tf.mul(tf.tensor(noiseScale, perRow), noise)),
  );
}

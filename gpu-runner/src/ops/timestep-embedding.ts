import * as tf from '@tensorflow/tfjs';

/** Options of the sinusoidal timestep projection (diffusers `Timesteps` / `get_timestep_embedding`). */
export interface SinusoidalTimestepOptions {
  /** Output width; half cosines, half sines. */
  dim: number;
  /** True puts the cosines first (`flip_sin_to_cos`; Kandinsky's U-Net and prior both flip). */
  flipSinToCos: boolean;
  /** `downscale_freq_shift` (diffusers' `freq_shift`): the exponent divides by `dim / 2 - shift`. */
  freqShift: number;
  maxPeriod?: number;
}

/**
 * The frequencies `exp(-ln(maxPeriod) * k / (half - shift))`, k = 0..half-1, rounded step by step to float32 the way
 * PyTorch computes them (the double scalar cast to float32, times the float32 arange, divided, then exp), so that
 * `t * f` for t near 1000 lands on the same float32 argument as the reference.
 */
export function timestepFrequencies(opts: SinusoidalTimestepOptions): Float32Array {
  const half = Math.floor(opts.dim / 2);
  const scale = Math.fround(-Math.log(opts.maxPeriod ?? 10000));
  const freqs = new Float32Array(half);
  for (let k = 0; k < half; k++) {
    freqs[k] = Math.fround(Math.exp(Math.fround(Math.fround(scale * k) / (half - opts.freqShift))));
  }
  return freqs;
}

/**
 * `[B]` timesteps (float, one per batch row) -> `[B, dim]` sinusoidal features: `[sin, cos]`, or `[cos, sin]` with
 * `flipSinToCos`. An odd `dim` gets a zero column, as the reference pads.
 */
export function sinusoidalTimestepEmbedding(timesteps: tf.Tensor1D, opts: SinusoidalTimestepOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const freqs = tf.tensor2d(timestepFrequencies(opts), [1, Math.floor(opts.dim / 2)]);
    const args = tf.mul(tf.reshape(tf.cast(timesteps, 'float32'), [-1, 1]), freqs);
    const parts = opts.flipSinToCos ? [tf.cos(args), tf.sin(args)] : [tf.sin(args), tf.cos(args)];
    if (opts.dim % 2 === 1) parts.push(tf.zeros([args.shape[0], 1]));
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}

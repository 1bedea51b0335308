import * as tf from '@tensorflow/tfjs';

/** `torch.repeat_interleave(x, n, dim=0)`: each row repeated `n` times in place ([a, b] -> [a, a, b, b]). */
export function repeatRows<T extends tf.Tensor>(x: T, n: number): T {
  if (n === 1) return x.clone();
  return tf.tidy(() => {
    const [b, ...rest] = x.shape;
    const tiled = tf.tile(tf.expandDims(x, 1), [1, n, ...rest.map(() => 1)]);
    return tf.reshape(tiled, [b * n, ...rest]) as T;
  });
}

/** `[uncond, cond]` stacked along the batch, the order every Kandinsky classifier-free-guidance batch uses. */
export function cfgBatch<T extends tf.Tensor>(uncond: T, cond: T): T {
  return tf.concat([uncond, cond], 0) as T;
}

/**
 * Classifier-free guidance (Ho & Salimans 2022) on a `[uncond, cond]` batch: `u + s (c - u)`, float32 like the
 * reference. Returns the guided `[B, ...]` half.
 */
export function guide(prediction: tf.Tensor, scale: number): tf.Tensor {
  return tf.tidy(() => {
    const [uncond, cond] = tf.split(prediction, 2, 0);
    return tf.add(uncond, tf.mul(scale, tf.sub(cond, uncond)));
  });
}

/**
 * The decoder's guidance on a learned-variance U-Net output `[2B, h, w, 2C]`: guidance on the ε channels only, then
 * the *conditional* half's variance channels appended (`[B, h, w, 2C]`), as the Kandinsky pipelines do.
 */
export function guideNoiseKeepVariance(prediction: tf.Tensor4D, scale: number, latentChannels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const channels = prediction.shape[3];
    const [eps, variance] = tf.split(prediction, [latentChannels, channels - latentChannels], 3);
    const [, conditionalVariance] = tf.split(variance, 2, 0);
    return tf.concat([guide(eps, scale), conditionalVariance], 3) as tf.Tensor4D;
  });
}

/** Lets timers, I/O and abort signals run between steps of a synchronous backend. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Concatenates tokenizer rows into one typed array. */
export function concatRows<T extends Int32Array | Uint8Array>(rows: T[]): Int32Array {
  const length = rows.reduce((a, r) => a + r.length, 0);
  const out = new Int32Array(length);
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** `noise * init_noise_sigma` (a copy-free no-op for sigma 1, which every Kandinsky scheduler has). */
export function scaleNoise<T extends tf.Tensor>(noise: T, sigma: number): T {
  if (sigma === 1) return noise;
  const scaled = tf.mul(noise, sigma) as T;
  noise.dispose();
  return scaled;
}

/**
 * Runs `make` for each item and returns the results; if one throws, the tensors the earlier ones made are released
 * before the error goes on, so a failure in the middle of a per-request loop leaks nothing.
 */
export function eachOwned<I, T extends tf.TensorContainer>(items: readonly I[], make: (item: I) => T): T[] {
  const out: T[] = [];
  try {
    for (const item of items) out.push(make(item));
    return out;
  } catch (err) {
    tf.dispose(out);
    throw err;
  }
}

/** Concatenates each field of per-request parts along rows, releasing the parts (also when concatenation fails). */
export function concatParts<K extends string>(parts: readonly Record<K, tf.Tensor>[]): Record<K, tf.Tensor> {
  if (parts.length === 1) return parts[0];
  try {
    return tf.tidy(
      () =>
        Object.fromEntries(
          Object.keys(parts[0]).map((key) => [key, tf.concat(parts.map((part) => part[key as K]))]),
        ) as Record<K, tf.Tensor>,
    );
  } finally {
    tf.dispose(parts as Record<K, tf.Tensor>[]);
  }
}

import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from './noise-source.js';

/**
 * Gives each image of a batched generation its own source, so image `i` is the same whether it is made alone or
 * with others (the runner protocol seeds image `i` with `seed + i`).
 *
 * A draw of shape `[B, ...]` needs `B` to be a multiple of the image count `n`; rows are laid out the way the
 * pipelines batch them (`[image 0..n-1]`, or `[prompt rows 0..n-1, negative rows 0..n-1]` for the prior), so row `r`
 * belongs to image `r mod n`. Image `i` draws its rows `i, i+n, i+2n, ...` as one `[B/n, ...]` draw from its own
 * source. With one image this is exactly one draw of the full shape, i.e. the reference's single-generator stream.
 */
export class PerImageNoise implements NoiseSource {
  constructor(private readonly sources: readonly NoiseSource[]) {
    if (sources.length === 0) throw new RangeError('PerImageNoise needs at least one source');
  }

  normal(shape: readonly number[]): tf.Tensor {
    const n = this.sources.length;
    if (n === 1) return this.sources[0].normal(shape);
    const [batch, ...rest] = shape;
    if (batch === undefined || batch % n !== 0) {
      throw new RangeError(`a draw of shape [${shape}] cannot be split over ${n} images (batch must be a multiple)`);
    }
    const perImage = batch / n;
    const parts = this.sources.map((s) => s.normal([perImage, ...rest]));
    return tf.tidy(() => {
      // [n, perImage, ...] -> [perImage, n, ...] -> [batch, ...]: row r = k*n + i comes from image i's k-th row.
      const stacked = tf.stack(parts);
      const perm = [1, 0, ...rest.map((_, k) => k + 2)];
      const out = tf.reshape(tf.transpose(stacked, perm), [...shape]);
      tf.dispose(parts);
      return out;
    });
  }
}

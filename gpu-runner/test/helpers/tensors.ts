import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type HostTensor, readSafetensors } from '../../src/io/safetensors.js';

/** The folder with fixtures copied from the reference harness (see test/fixtures/README.md). */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** Reads a fixture safetensors file. */
export function fixture(...path: string[]): Promise<Map<string, HostTensor>> {
  return readSafetensors(join(FIXTURES, ...path));
}

/** NCHW host tensor (the reference layout) -> NHWC tf tensor. */
export function nchwToNhwc(t: HostTensor): tf.Tensor4D {
  return tf.tidy(() => {
    const x: tf.Tensor = tf.tensor(t.data, t.shape, 'float32');
    return tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** The largest absolute difference between a tf tensor (NHWC if `nchw`) and a reference host tensor. */
export function maxAbsDiff(actual: tf.Tensor, expected: HostTensor, opts: { nchw?: boolean } = {}): number {
  return tf.tidy(() => {
    let exp: tf.Tensor = tf.tensor(expected.data, expected.shape, 'float32');
    if (opts.nchw) exp = tf.transpose(exp, [0, 2, 3, 1]);
    if (exp.shape.join() !== actual.shape.join()) {
      throw new Error(`shape mismatch: got [${actual.shape}] expected [${exp.shape}]`);
    }
    return tf.max(tf.abs(tf.sub(actual, exp))).dataSync()[0];
  });
}

/** The largest absolute value of a reference tensor (to put errors in scale). */
export function maxAbs(t: HostTensor): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

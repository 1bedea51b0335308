import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type HostTensor, readSafetensors } from '../../src/io/safetensors.js';
import { tinyFixtures } from '../../src/verify/fixture-root.js';
import { checkpointFromHarness } from '../../src/verify/harness-checkpoint.js';

/** Fixtures only the tests use: hub repositories, images, full-size key lists, tokenizer extras (test/fixtures). */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/**
 * The active tiny reference set: the shipped `gpu-runner/fixtures/kandinsky21-tiny`, or the one under
 * `KANDINSKY_FIXTURES` (every parity suite reads its models, inputs, traces, tokenizers and settings from here).
 */
export const TINY = tinyFixtures();

/**
 * Reads a fixture safetensors file: from test/fixtures when its first folder is there, otherwise from the active
 * tiny reference set (where the component and trace folders live).
 */
export function fixture(...path: string[]): Promise<Map<string, HostTensor>> {
  return readSafetensors(join(existsSync(join(FIXTURES, path[0])) ? FIXTURES : TINY, ...path));
}

/** Reads a safetensors file of the active tiny reference set. */
export function tinyFixture(...path: string[]): Promise<Map<string, HostTensor>> {
  return readSafetensors(join(TINY, ...path));
}

let checkpointRoot: string | undefined;
const checkpoints = new Map<string, Promise<string>>();

/**
 * A tiny reference component (`<tiny set>/<name>`: config.json + weights.safetensors) as the diffusers/transformers
 * checkpoint folder the converter reads. Made once per test process in a temporary folder removed at exit.
 */
export function tinyCheckpoint(name: string): Promise<string> {
  let made = checkpoints.get(name);
  if (!made) {
    made = (async () => {
      if (!checkpointRoot) {
        checkpointRoot = await mkdtemp(join(tmpdir(), 'tiny-checkpoints-'));
        const root = checkpointRoot;
        process.once('exit', () => rmSync(root, { recursive: true, force: true }));
      }
      return checkpointFromHarness(join(TINY, name), join(checkpointRoot, name));
    })();
    checkpoints.set(name, made);
  }
  return made;
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

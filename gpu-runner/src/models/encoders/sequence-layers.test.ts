import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import { FLOAT32_MIN } from '../../ops/additive-masks.js';
import { ClassTokenPool, EosTokenPool, KeyPaddingMask, MaskedMeanPool } from './sequence-layers.js';

/** `[B, L, 1]` hidden states whose value is the position, so a pooled value names the position it came from. */
function positionStates(batch: number, length: number): tf.Tensor3D {
  return tf.tidy(
    () => tf.tile(tf.reshape(tf.range(0, length, 1, 'float32'), [1, length, 1]), [batch, 1, 1]) as tf.Tensor3D,
  );
}

describe('encoder sequence layers', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('EosTokenPool first-eos picks the first end-of-text position per row (0 when a row has none, like torch)', () => {
    const pool = new EosTokenPool({ name: 'p', rule: 'first-eos', eosTokenId: 9 });
    const ids = tf.tensor2d(
      [
        [5, 6, 9, 9, 9],
        [5, 9, 9, 9, 9],
        [5, 6, 7, 8, 4],
      ],
      undefined,
      'int32',
    );
    const states = positionStates(3, 5);
    const out = pool.apply([states, ids]) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([2, 1, 0]);
    tf.dispose([ids, states, out]);
  });

  it('EosTokenPool argmax-id picks the first position of the largest id (transformers 4.38 legacy rule)', () => {
    const pool = new EosTokenPool({ name: 'p', rule: 'argmax-id', eosTokenId: 2 });
    const ids = tf.tensor2d(
      [
        [0, 49407, 49407, 3],
        [0, 7, 3, 49407],
      ],
      undefined,
      'int32',
    );
    const states = positionStates(2, 4);
    const out = pool.apply([states, ids]) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([1, 3]);
    tf.dispose([ids, states, out]);
  });

  it('MaskedMeanPool averages the kept positions only (checked by hand)', () => {
    const states = tf.tensor3d([
      [
        [1, 10],
        [3, 20],
        [100, 100],
      ],
    ]);
    const mask = tf.tensor2d([[1, 1, 0]], undefined, 'int32');
    const out = new MaskedMeanPool({ name: 'm' }).apply([states, mask]) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([2, 15]);
    tf.dispose([states, mask, out]);
  });

  it('KeyPaddingMask gives 0 for tokens and finfo(float32).min for padding, shaped [B, 1, 1, L]', () => {
    const mask = tf.tensor2d([[1, 1, 0]], undefined, 'int32');
    const ids = tf.tensor2d([[0, 2, 1]], undefined, 'int32');
    const out = new KeyPaddingMask({ name: 'k' }).apply([mask, ids]) as tf.Tensor;
    expect(out.shape).toEqual([1, 1, 1, 3]);
    // (1 - 1) * min is -0 in IEEE arithmetic; it adds like 0.
    expect(Array.from(out.dataSync()).map((v) => v + 0)).toEqual([0, 0, Math.fround(FLOAT32_MIN)]);
    tf.dispose([mask, ids, out]);
  });

  it('ClassTokenPool takes the first token', () => {
    const states = positionStates(2, 3);
    const out = new ClassTokenPool({ name: 'c' }).apply(states) as tf.Tensor;
    expect(out.shape).toEqual([2, 1]);
    expect(Array.from(out.dataSync())).toEqual([0, 0]);
    tf.dispose([states, out]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { headGeometry, mergeHeads, splitHeads } from './attention-heads.js';

describe('attention head split / merge', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  // One batch row, 2 tokens, 2 heads of width 2: token t, head h, feature f holds 100t + 10h + f.
  const x = tf.tensor3d([
    [
      [0, 1, 10, 11],
      [100, 101, 110, 111],
    ],
  ]);

  it('splits [B, N, heads * d] into [B, heads, N, d] (checked by hand)', () => {
    const h = splitHeads(x, 2);
    expect(h.arraySync()).toEqual([
      [
        [
          [0, 1],
          [100, 101],
        ],
        [
          [10, 11],
          [110, 111],
        ],
      ],
    ]);
  });

  it('puts the tokens last with keysLast: [B, heads, d, N]', () => {
    expect(splitHeads(x, 2, true).arraySync()).toEqual([
      [
        [
          [0, 100],
          [1, 101],
        ],
        [
          [10, 110],
          [11, 111],
        ],
      ],
    ]);
  });

  it('mergeHeads undoes splitHeads', () => {
    expect(mergeHeads(splitHeads(x, 2)).arraySync()).toEqual(x.arraySync());
  });

  it('refuses a width that does not split into the heads', () => {
    expect(() => splitHeads(x, 3)).toThrow(/width 4 does not split into 3 heads/);
  });

  it('headGeometry reads batch, query and key counts and the head width', () => {
    const q = tf.zeros([1, 3, 6]) as tf.Tensor3D;
    const k = tf.zeros([1, 5, 6]) as tf.Tensor3D;
    expect(headGeometry(q, k, 3)).toEqual({ batch: 1, queries: 3, keys: 5, inner: 6, headDim: 2 });
  });
});

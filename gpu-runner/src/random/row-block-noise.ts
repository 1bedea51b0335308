import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from './noise-source.js';

/** One request's share of a batched draw: its `rows` leading-axis rows come from its own `source`. */
export interface NoiseBlock {
  source: NoiseSource;
  rows: number;
}

/**
 * The noise of several requests run as one batch: a draw of shape `[R, ...]` (R = the sum of the blocks' rows) is
 * made of one `[rows, ...]` draw per block, from that block's source, stacked in block order. Each request's source
 * therefore sees exactly the draws it would see if the request ran alone, so a batched request gives its own
 * images. With one block it is that block's source unchanged.
 */
export class RowBlockNoise implements NoiseSource {
  private readonly total: number;

  constructor(private readonly blocks: readonly NoiseBlock[]) {
    if (blocks.length === 0) throw new RangeError('RowBlockNoise needs at least one block');
    for (const b of blocks) {
      if (!Number.isInteger(b.rows) || b.rows < 1)
        throw new RangeError(`a block needs a positive row count, got ${b.rows}`);
    }
    this.total = blocks.reduce((sum, b) => sum + b.rows, 0);
  }

  normal(shape: readonly number[]): tf.Tensor {
    const [batch, ...rest] = shape;
    if (batch !== this.total) {
      throw new RangeError(`a draw of shape [${shape}] does not match the batch's ${this.total} rows`);
    }
    if (this.blocks.length === 1) return this.blocks[0].source.normal(shape);
    const parts = this.blocks.map((b) => b.source.normal([b.rows, ...rest]));
    const out = tf.concat(parts, 0);
    tf.dispose(parts);
    return out;
  }
}

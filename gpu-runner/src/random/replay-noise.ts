import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from './noise-source.js';

/** One saved draw: row-major float values and the PyTorch shape they were drawn with. */
export interface SavedDraw {
  shape: readonly number[];
  data: Float32Array;
}

/** A replayed run asked for a draw the recording does not have (wrong shape, or more draws than were saved). */
export class NoiseReplayError extends Error {
  override readonly name = 'NoiseReplayError';
}

/**
 * Returns previously saved draws (e.g. the reference's `randn.NNN` tensors) in order. Every request must have
 * exactly the shape of the next saved draw, and asking past the end fails: a pipeline that draws in a different
 * order, shape or number than the reference is caught at the first divergence instead of producing a subtly
 * different image.
 */
export class ReplayNoise implements NoiseSource {
  private next = 0;

  constructor(private readonly draws: readonly SavedDraw[]) {
    draws.forEach((d, i) => {
      const count = d.shape.reduce((a, b) => a * b, 1);
      if (count !== d.data.length) {
        throw new NoiseReplayError(`saved draw ${i} has ${d.data.length} values but shape [${d.shape}]`);
      }
    });
  }

  normal(shape: readonly number[]): tf.Tensor {
    const i = this.next;
    if (i >= this.draws.length) {
      throw new NoiseReplayError(
        `draw ${i} of shape [${shape}] requested, but only ${this.draws.length} draws were saved`,
      );
    }
    const saved = this.draws[i];
    if (saved.shape.length !== shape.length || saved.shape.some((d, k) => d !== shape[k])) {
      throw new NoiseReplayError(
        `draw ${i} requested with shape [${shape}], but the saved draw has shape [${saved.shape}]`,
      );
    }
    this.next++;
    return tf.tensor(saved.data, [...saved.shape], 'float32');
  }

  /** How many saved draws have not been used yet. */
  get remaining(): number {
    return this.draws.length - this.next;
  }

  /** Throws unless every saved draw was used: a run that draws too few values diverged from the recording too. */
  assertExhausted(): void {
    if (this.remaining !== 0) {
      throw new NoiseReplayError(`${this.remaining} of ${this.draws.length} saved draws were never requested`);
    }
  }
}

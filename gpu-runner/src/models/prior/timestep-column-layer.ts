import * as tf from '@tensorflow/tfjs';
import { firstShape, type InputShape } from '../../layers/module-layer.js';
import { sinusoidalTimestepEmbedding } from '../../ops/timestep-embedding.js';

export interface TimestepColumnConfig {
  /** Embedding width (`num_channels` of diffusers `Timesteps`). */
  dim: number;
  flipSinToCos: boolean;
  freqShift: number;
}

/**
 * diffusers `Timesteps` for a timestep that is a graph input: takes `[B, 1]` (what `LayersModel.predict` makes of a
 * `[B]` tensor) or `[B]` and returns the `[B, dim]` sinusoidal features (no weights).
 */
export class TimestepColumnLayer extends tf.layers.Layer {
  static readonly className = 'KdTimestepColumn';
  readonly cfg: TimestepColumnConfig;

  constructor(args: { name: string } & TimestepColumnConfig) {
    super({ name: args.name, trainable: false });
    this.cfg = { dim: args.dim, flipSinToCos: args.flipSinToCos, freqShift: args.freqShift };
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [firstShape(inputShape)[0], this.cfg.dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const t = Array.isArray(inputs) ? inputs[0] : inputs;
      if (t.rank > 2 || (t.rank === 2 && t.shape[1] !== 1)) {
        throw new Error(`${this.name}: timesteps must be [B] or [B, 1], got [${t.shape}]`);
      }
      return sinusoidalTimestepEmbedding(tf.reshape(t, [-1]) as tf.Tensor1D, this.cfg);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(TimestepColumnLayer);

import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { linear } from '../ops/linear.js';
import { sinusoidalTimestepEmbedding } from '../ops/timestep-embedding.js';
import { firstShape, type InputShape, inputList, ModuleLayer, type ModuleLayerArgs } from './module-layer.js';

export interface SinusoidalTimestepConfig {
  dim: number;
  flipSinToCos: boolean;
  freqShift: number;
}

/**
 * diffusers `Timesteps` (no weights) for a timestep that is a graph input: `[B]` float timesteps (or `[B, 1]`, what
 * `LayersModel.predict` may make of a vector) -> `[B, dim]` sinusoidal features. Used by both the U-Net and the prior.
 */
export class SinusoidalTimestepLayer extends ModuleLayer {
  // Typed `string` so the legacy alias below can carry its own name.
  static readonly className: string = 'KdSinusoidalTimestep';
  readonly cfg: SinusoidalTimestepConfig;

  constructor(args: ModuleLayerArgs & SinusoidalTimestepConfig) {
    super(args);
    this.cfg = { dim: args.dim, flipSinToCos: args.flipSinToCos, freqShift: args.freqShift };
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [firstShape(inputShape)[0], this.cfg.dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const t = inputList(inputs)[0];
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
tf.serialization.registerClass(SinusoidalTimestepLayer);

/**
 * The same layer under the class name the prior used to save (`KdTimestepColumn`), so priors converted before the two
 * layers were merged still load from their `model.json`. New conversions save `KdSinusoidalTimestep`.
 */
export class LegacyTimestepColumnLayer extends SinusoidalTimestepLayer {
  static override readonly className = 'KdTimestepColumn';
}
tf.serialization.registerClass(LegacyTimestepColumnLayer);

export interface TimestepEmbeddingConfig {
  inChannels: number;
  timeEmbedDim: number;
  act: string;
}

/** diffusers `TimestepEmbedding` without its optional extras: `linear_2(act(linear_1(x)))`. */
export class TimestepEmbeddingLayer extends ModuleLayer {
  static readonly className = 'KdTimestepEmbedding';
  readonly cfg: TimestepEmbeddingConfig;

  constructor(args: ModuleLayerArgs & TimestepEmbeddingConfig) {
    super(args);
    this.cfg = { inChannels: args.inChannels, timeEmbedDim: args.timeEmbedDim, act: args.act };
  }

  override build(): void {
    const { inChannels, timeEmbedDim } = this.cfg;
    this.param('linear_1.weight', [inChannels, timeEmbedDim], 'linear_1.weight', 'linear');
    this.param('linear_1.bias', [timeEmbedDim]);
    this.param('linear_2.weight', [timeEmbedDim, timeEmbedDim], 'linear_2.weight', 'linear');
    this.param('linear_2.bias', [timeEmbedDim]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [firstShape(inputShape)[0], this.cfg.timeEmbedDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0];
      const h = activation(this.cfg.act, linear(x, this.w('linear_1.weight'), this.w('linear_1.bias')));
      return linear(h, this.w('linear_2.weight'), this.w('linear_2.bias'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(TimestepEmbeddingLayer);

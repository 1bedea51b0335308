import * as tf from '@tensorflow/tfjs';
import { layerNorm } from '../ops/normalization.js';
import { inputList, type ModuleLayerArgs, ShapePreservingLayer } from './module-layer.js';

export interface LayerNormConfig {
  /** Size of the normalized (last) axis. */
  channels: number;
  eps: number;
  /** `elementwise_affine`: whether the layer has `weight` and `bias` (torch's default: true). */
  affine?: boolean;
}

/**
 * `torch.nn.LayerNorm(channels, eps)` over the last axis of input of any rank (params `weight`, `bias`).
 * Used by the transformers encoders (name it after the torch module, e.g. `text_model.final_layer_norm`).
 */
export class LayerNormLayer extends ShapePreservingLayer {
  static readonly className = 'KdLayerNorm';
  readonly cfg: Required<LayerNormConfig>;

  constructor(args: ModuleLayerArgs & LayerNormConfig) {
    super(args);
    this.cfg = { channels: args.channels, eps: args.eps, affine: args.affine ?? true };
  }

  override build(): void {
    if (this.cfg.affine) {
      this.param('weight', [this.cfg.channels]);
      this.param('bias', [this.cfg.channels]);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0];
      const gamma = this.cfg.affine ? this.w('weight') : undefined;
      const beta = this.cfg.affine ? this.w('bias') : undefined;
      return layerNorm(x, gamma, beta, this.cfg.eps);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(LayerNormLayer);

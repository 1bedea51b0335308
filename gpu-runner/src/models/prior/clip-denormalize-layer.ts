import * as tf from '@tensorflow/tfjs';
import { inputList, type ModuleLayerArgs, ShapePreservingLayer } from '../../layers/module-layer.js';

export interface ClipDenormalizeConfig {
  /** CLIP embedding width (768). */
  channels: number;
}

/**
 * `PriorTransformer.post_process_latents`: `x * clip_std + clip_mean` (params `clip_mean`, `clip_std`, `[1, C]`,
 * at the checkpoint root). The prior denoises in a normalized space; the pipeline applies this once after the loop.
 */
export class ClipDenormalizeLayer extends ShapePreservingLayer {
  static readonly className = 'KdClipDenormalize';
  readonly cfg: ClipDenormalizeConfig;

  constructor(args: ModuleLayerArgs & ClipDenormalizeConfig) {
    super(args);
    this.cfg = { channels: args.channels };
  }

  override build(): void {
    this.param('clip_mean', [1, this.cfg.channels]);
    this.param('clip_std', [1, this.cfg.channels]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0];
      return tf.add(tf.mul(x, this.w('clip_std')), this.w('clip_mean'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(ClipDenormalizeLayer);

import * as tf from '@tensorflow/tfjs';
import type { ModuleLayerArgs } from '../../layers/module-layer.js';
import { TokenEmbeddingsLayer } from './token-embeddings-layer.js';

export interface ClipTextEmbeddingsConfig {
  vocabSize: number;
  hidden: number;
  maxPositions: number;
}

/**
 * `CLIPTextEmbeddings` (torch prefix `text_model.embeddings`): input `input_ids [B, L]` (int32, L <= 77) ->
 * `token_embedding[ids] + position_embedding[0..L)` `[B, L, hidden]` (no norm: CLIP is pre-LN).
 */
export class ClipTextEmbeddings extends TokenEmbeddingsLayer {
  static readonly className = 'KdClipTextEmbeddings';
  readonly cfg: ClipTextEmbeddingsConfig;

  constructor(args: ModuleLayerArgs & ClipTextEmbeddingsConfig) {
    super(args);
    this.cfg = { vocabSize: args.vocabSize, hidden: args.hidden, maxPositions: args.maxPositions };
  }

  override build(): void {
    this.param('token_embedding.weight', [this.cfg.vocabSize, this.cfg.hidden]);
    this.param('position_embedding.weight', [this.cfg.maxPositions, this.cfg.hidden]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = this.checkedIds(inputs, this.cfg.maxPositions);
    return tf.tidy(() => {
      const length = ids.shape[1];
      const tokens = tf.gather(this.w('token_embedding.weight'), ids);
      const positions = tf.slice(this.w('position_embedding.weight'), [0, 0], [length, this.cfg.hidden]);
      return tf.add(tokens, positions);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(ClipTextEmbeddings);

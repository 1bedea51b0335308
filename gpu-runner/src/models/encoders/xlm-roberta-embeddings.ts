import * as tf from '@tensorflow/tfjs';
import type { ModuleLayerArgs } from '../../layers/module-layer.js';
import { layerNorm } from '../../ops/normalization.js';
import { TokenEmbeddingsLayer } from './token-embeddings-layer.js';

export interface XlmRobertaEmbeddingsConfig {
  vocabSize: number;
  hidden: number;
  maxPositions: number;
  typeVocabSize: number;
  padTokenId: number;
  eps: number;
}

/**
 * `XLMRobertaEmbeddings` (torch prefix `transformer.embeddings`): input `input_ids [B, L]` (int32) ->
 * `LayerNorm(word + position + token_type[0])` `[B, L, hidden]`.
 *
 * Position ids follow fairseq: `cumsum(ids != pad) * (ids != pad) + pad`, so real tokens count from `pad + 1` (2)
 * and padding gets `pad` (1), whatever the padding side. Token types are always 0 (the pipeline passes none).
 */
export class XlmRobertaEmbeddings extends TokenEmbeddingsLayer {
  static readonly className = 'KdXlmRobertaEmbeddings';
  readonly cfg: XlmRobertaEmbeddingsConfig;

  constructor(args: ModuleLayerArgs & XlmRobertaEmbeddingsConfig) {
    super(args);
    this.cfg = {
      vocabSize: args.vocabSize,
      hidden: args.hidden,
      maxPositions: args.maxPositions,
      typeVocabSize: args.typeVocabSize,
      padTokenId: args.padTokenId,
      eps: args.eps,
    };
  }

  /** The longest sequence whose position ids stay inside the position table (514 - 1 - 1 = 512 for XLM-R). */
  get maxLength(): number {
    return this.cfg.maxPositions - this.cfg.padTokenId - 1;
  }

  override build(): void {
    const { vocabSize, hidden, maxPositions, typeVocabSize } = this.cfg;
    this.param('word_embeddings.weight', [vocabSize, hidden]);
    this.param('position_embeddings.weight', [maxPositions, hidden]);
    this.param('token_type_embeddings.weight', [typeVocabSize, hidden]);
    this.param('LayerNorm.weight', [hidden]);
    this.param('LayerNorm.bias', [hidden]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = this.checkedIds(inputs, this.maxLength);
    return tf.tidy(() => {
      const pad = this.cfg.padTokenId;
      // Counting in float32 is exact far beyond any sequence length.
      const isToken = tf.cast(tf.notEqual(ids, pad), 'float32');
      const positions = tf.cast(tf.add(tf.mul(tf.cumsum(isToken, 1), isToken), pad), 'int32');
      const words = tf.gather(this.w('word_embeddings.weight'), ids);
      const places = tf.gather(this.w('position_embeddings.weight'), positions);
      const tokenType = tf.slice(this.w('token_type_embeddings.weight'), [0, 0], [1, this.cfg.hidden]);
      const sum = tf.add(tf.add(words, places), tokenType);
      return layerNorm(sum, this.w('LayerNorm.weight'), this.w('LayerNorm.bias'), this.cfg.eps);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(XlmRobertaEmbeddings);

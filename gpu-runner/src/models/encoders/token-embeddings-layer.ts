import type * as tf from '@tensorflow/tfjs';
import { firstShape, type InputShape, inputList, ModuleLayer } from '../../layers/module-layer.js';
import { checkTokenIds } from './token-ids.js';

/** The config fields every token-id embeddings layer has. */
export interface TokenEmbeddingsConfig {
  vocabSize: number;
  hidden: number;
}

/**
 * Base of the layers that embed `input_ids [B, L]` (int32) into `[B, L, hidden]` (CLIP text, XLM-R). It holds what
 * they share: the output shape, and checking the ids before any gather, so bad input fails as an
 * `EncoderInputError` instead of reading outside a table.
 */
export abstract class TokenEmbeddingsLayer extends ModuleLayer {
  abstract readonly cfg: TokenEmbeddingsConfig;

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [b, l] = firstShape(inputShape);
    return [b, l, this.cfg.hidden];
  }

  /** The call's `input_ids`, checked against the vocabulary and `maxLength` (see `checkTokenIds`). */
  protected checkedIds(inputs: tf.Tensor | tf.Tensor[], maxLength: number): tf.Tensor2D {
    const ids = inputList(inputs)[0] as tf.Tensor2D;
    checkTokenIds(ids, this.cfg.vocabSize, maxLength, this.name);
    return ids;
  }
}

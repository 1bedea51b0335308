import * as tf from '@tensorflow/tfjs';
import { firstShape, type InputShape, inputList } from '../../layers/module-layer.js';
import { additivePaddingMask } from '../../ops/additive-masks.js';
import { checkAttentionMask } from './token-ids.js';

/**
 * Inputs `[attention_mask [B, L], input_ids [B, L]]` -> the additive key mask `[B, 1, 1, L]` every XLM-R layer adds
 * to its attention scores. Checks the mask (0/1, same shape as the ids, one token per row at least) first.
 */
export class KeyPaddingMask extends tf.layers.Layer {
  static readonly className = 'KdKeyPaddingMask';

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [b, l] = firstShape(inputShape);
    return [b, 1, 1, l];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [mask, ids] = inputList(inputs);
    checkAttentionMask(mask, ids, this.name);
    return additivePaddingMask(mask as tf.Tensor2D);
  }
}
tf.serialization.registerClass(KeyPaddingMask);

/** Base of the pooling layers: `[B, L, H]` hidden states (first input) -> one vector per row, `[B, H]`. */
export abstract class TokenPoolLayer extends tf.layers.Layer {
  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [b, , h] = firstShape(inputShape);
    return [b, h];
  }
}

/**
 * Inputs `[hidden [B, L, H], attention_mask [B, L]]` -> the mean of the hidden states over the positions the mask
 * keeps, `[B, H]` (M-CLIP's pooling; `<s>` and `</s>` are kept, so they count).
 */
export class MaskedMeanPool extends TokenPoolLayer {
  static readonly className = 'KdMaskedMeanPool';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [hidden, mask] = inputList(inputs);
      const weights = tf.cast(mask, 'float32');
      const summed = tf.sum(tf.mul(hidden, tf.expandDims(weights, -1)), 1);
      return tf.div(summed, tf.sum(weights, 1, true));
    });
  }
}
tf.serialization.registerClass(MaskedMeanPool);

/**
 * How CLIP's text tower finds the token to pool (transformers 4.38, `CLIPTextTransformer.forward`):
 * - `argmax-id`: the position of the largest id (legacy configs with `eos_token_id == 2`, where `<|endoftext|>`
 *   happens to be the highest id of the real vocabulary);
 * - `first-eos`: the first position holding `eos_token_id` (position 0 if a row has none, as the reference does).
 */
export type EosRule = 'argmax-id' | 'first-eos';

export interface EosTokenPoolConfig {
  rule: EosRule;
  eosTokenId: number;
}

/** Inputs `[hidden [B, L, H], input_ids [B, L]]` -> `hidden[b, eos_position(b)]` `[B, H]`. */
export class EosTokenPool extends TokenPoolLayer {
  static readonly className = 'KdEosTokenPool';
  readonly cfg: EosTokenPoolConfig;

  constructor(args: { name: string } & EosTokenPoolConfig) {
    super({ name: args.name });
    this.cfg = { rule: args.rule, eosTokenId: args.eosTokenId };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [hidden, ids] = inputList(inputs);
      const length = ids.shape[1] as number;
      // argMax returns the first of equal maxima, which is what torch's argmax does for these inputs too.
      const scores = this.cfg.rule === 'argmax-id' ? ids : tf.cast(tf.equal(ids, this.cfg.eosTokenId), 'int32');
      const position = tf.argMax(scores, -1);
      // A one-hot weighted sum selects one row per batch entry without reading positions back to the host. The
      // one-hot is made int32 and cast: the wasm OneHot kernel writes int32 bits whatever dtype is asked for.
      const pick = tf.cast(tf.oneHot(position, length), 'float32');
      return tf.sum(tf.mul(hidden, tf.expandDims(pick, -1)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as unknown as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(EosTokenPool);

/** `[B, L, H]` -> the first (class) token `[B, H]`, as CLIP vision's `last_hidden_state[:, 0, :]`. */
export class ClassTokenPool extends TokenPoolLayer {
  static readonly className = 'KdClassTokenPool';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0] as tf.Tensor3D;
      const [b, , h] = x.shape;
      return tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, h]), [b, h]);
    });
  }
}
tf.serialization.registerClass(ClassTokenPool);

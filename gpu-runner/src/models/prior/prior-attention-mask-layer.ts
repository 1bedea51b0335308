import * as tf from '@tensorflow/tfjs';
import { firstShape, type InputShape, inputList } from '../../layers/module-layer.js';
import { PRIOR_MASK_VALUE } from './prior-config.js';

export interface PriorAttentionMaskConfig {
  /** Text tokens (77). */
  textTokens: number;
  /** Tokens after the text (4): they are never padding. */
  extraTokens: number;
}

/**
 * The prior's additive self-attention mask, `[B, T] -> [B, 1, N, N]` (N = T + extra), as diffusers builds it:
 * padded text keys get `(1 - mask) * -10000`, the extra tokens 0, plus `-10000` strictly above the diagonal
 * (causal). Both add up where they overlap (-20000), exactly like the reference. The head axis is 1 so the mask
 * broadcasts over heads instead of being repeated per head.
 *
 * Input: the tokenizer's attention mask as float32 (1 = real token, 0 = padding).
 */
export class PriorAttentionMaskLayer extends tf.layers.Layer {
  static readonly className = 'KdPriorAttentionMask';
  readonly cfg: PriorAttentionMaskConfig;

  constructor(args: { name: string } & PriorAttentionMaskConfig) {
    super({ name: args.name, trainable: false });
    this.cfg = { textTokens: args.textTokens, extraTokens: args.extraTokens };
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const n = this.cfg.textTokens + this.cfg.extraTokens;
    return [firstShape(inputShape)[0], 1, n, n];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const textMask = inputList(inputs)[0];
      const [b, t] = textMask.shape;
      if (t !== this.cfg.textTokens)
        throw new Error(`${this.name}: expected a [B, ${this.cfg.textTokens}] mask, got [${textMask.shape}]`);
      const n = t + this.cfg.extraTokens;
      const keys = tf.pad(tf.mul(tf.sub(1, tf.cast(textMask, 'float32')), PRIOR_MASK_VALUE), [
        [0, 0],
        [0, this.cfg.extraTokens],
      ]);
      return tf.add(tf.reshape(keys, [b, 1, 1, n]), tf.reshape(causalMask(n), [1, 1, n, n]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(PriorAttentionMaskLayer);

/** `[n, n]` with the mask value strictly above the diagonal (a query never sees later tokens), 0 elsewhere. */
function causalMask(n: number): tf.Tensor2D {
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) values.fill(PRIOR_MASK_VALUE, i * n + i + 1, (i + 1) * n);
  return tf.tensor2d(values, [n, n]);
}

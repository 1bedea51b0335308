import * as tf from '@tensorflow/tfjs';
import { type InputShape, ModuleLayer, type ModuleLayerArgs } from '../../layers/module-layer.js';

export interface PriorTokensConfig {
  /** Transformer width. */
  channels: number;
  /** Text tokens (77). */
  textTokens: number;
}

/**
 * Assembles the prior's token sequence and adds the learned positions (params `positional_embedding`
 * `[1, N, C]`, `prd_embedding` `[1, 1, C]`, at the checkpoint root):
 * `[projected text hidden states (T), projected text embedding, time embedding, projected noisy image embedding, prd]`
 * + `positional_embedding`, N = T + 4.
 *
 * Inputs: `[text [B, T, C], textEmbeds [B, C], time [B, C], image [B, C]]` -> `[B, T + 4, C]`.
 */
export class PriorTokensLayer extends ModuleLayer {
  static readonly className = 'KdPriorTokens';
  readonly cfg: PriorTokensConfig;

  constructor(args: ModuleLayerArgs & PriorTokensConfig) {
    super(args);
    this.cfg = { channels: args.channels, textTokens: args.textTokens };
  }

  get sequenceLength(): number {
    return this.cfg.textTokens + 4;
  }

  override build(): void {
    this.param('positional_embedding', [1, this.sequenceLength, this.cfg.channels]);
    this.param('prd_embedding', [1, 1, this.cfg.channels]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const batch = (inputShape as tf.Shape[])[0][0];
    return [batch, this.sequenceLength, this.cfg.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [text, textEmbeds, time, image] = inputs as tf.Tensor[];
      const [b, t, c] = text.shape;
      if (t !== this.cfg.textTokens) {
        throw new Error(`${this.name}: expected ${this.cfg.textTokens} text tokens, got ${t}`);
      }
      const single = (x: tf.Tensor) => tf.reshape(x, [b, 1, c]);
      const prd = tf.broadcastTo(this.w('prd_embedding'), [b, 1, c]);
      const tokens = tf.concat([text, single(textEmbeds), single(time), single(image), prd], 1);
      return tf.add(tokens, this.w('positional_embedding'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(PriorTokensLayer);

import * as tf from '@tensorflow/tfjs';
import { linear } from '../ops/linear.js';
import { layerNorm } from '../ops/normalization.js';
import { type InputShape, ModuleLayer, type ModuleLayerArgs } from './module-layer.js';

/** diffusers' `TextImageTimeEmbedding` LayerNorm uses the nn.LayerNorm default eps. */
const TEXT_NORM_EPS = 1e-5;

export interface TextImageTimeEmbeddingConfig {
  textEmbedDim: number;
  imageEmbedDim: number;
  timeEmbedDim: number;
}

/**
 * The U-Net's `text_image` addition embedding (diffusers `TextImageTimeEmbedding`), added to the time embedding:
 * `image_proj(image_embeds) + LayerNorm(text_proj(text_embeds))`. Inputs: `[text_embeds [B, T], image_embeds [B, I]]`.
 */
export class TextImageTimeEmbedding extends ModuleLayer {
  static readonly className = 'KdTextImageTimeEmbedding';
  readonly cfg: TextImageTimeEmbeddingConfig;

  constructor(args: ModuleLayerArgs & TextImageTimeEmbeddingConfig) {
    super(args);
    this.cfg = { textEmbedDim: args.textEmbedDim, imageEmbedDim: args.imageEmbedDim, timeEmbedDim: args.timeEmbedDim };
  }

  override build(): void {
    const { textEmbedDim, imageEmbedDim, timeEmbedDim } = this.cfg;
    this.param('text_proj.weight', [textEmbedDim, timeEmbedDim], 'text_proj.weight', 'linear');
    this.param('text_proj.bias', [timeEmbedDim]);
    this.param('text_norm.weight', [timeEmbedDim]);
    this.param('text_norm.bias', [timeEmbedDim]);
    this.param('image_proj.weight', [imageEmbedDim, timeEmbedDim], 'image_proj.weight', 'linear');
    this.param('image_proj.bias', [timeEmbedDim]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [(inputShape as tf.Shape[])[0][0], this.cfg.timeEmbedDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [text, image] = inputs as tf.Tensor[];
      const t = linear(text, this.w('text_proj.weight'), this.w('text_proj.bias'));
      const tn = layerNorm(t, this.w('text_norm.weight'), this.w('text_norm.bias'), TEXT_NORM_EPS);
      return tf.add(linear(image, this.w('image_proj.weight'), this.w('image_proj.bias')), tn);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(TextImageTimeEmbedding);

export interface TextImageProjectionConfig {
  textEmbedDim: number;
  imageEmbedDim: number;
  crossAttentionDim: number;
  /** How many context tokens the image embedding becomes (diffusers default 10). */
  numImageTokens: number;
}

/**
 * The U-Net's `text_image_proj` encoder projection (diffusers `TextImageProjection`): the attention context is
 * `cat([image_embeds(img).reshape(B, numImageTokens, D), text_proj(text_hidden)], tokens)`.
 * Inputs: `[text_hidden [B, S, textEmbedDim], image_embeds [B, imageEmbedDim]]` -> `[B, numImageTokens + S, D]`.
 */
export class TextImageProjection extends ModuleLayer {
  static readonly className = 'KdTextImageProjection';
  readonly cfg: TextImageProjectionConfig;

  constructor(args: ModuleLayerArgs & TextImageProjectionConfig) {
    super(args);
    this.cfg = {
      textEmbedDim: args.textEmbedDim,
      imageEmbedDim: args.imageEmbedDim,
      crossAttentionDim: args.crossAttentionDim,
      numImageTokens: args.numImageTokens,
    };
  }

  override build(): void {
    const { textEmbedDim, imageEmbedDim, crossAttentionDim: d, numImageTokens } = this.cfg;
    this.param('image_embeds.weight', [imageEmbedDim, numImageTokens * d], 'image_embeds.weight', 'linear');
    this.param('image_embeds.bias', [numImageTokens * d]);
    this.param('text_proj.weight', [textEmbedDim, d], 'text_proj.weight', 'linear');
    this.param('text_proj.bias', [d]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [b, s] = (inputShape as tf.Shape[])[0];
    return [b, s == null ? null : s + this.cfg.numImageTokens, this.cfg.crossAttentionDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [text, image] = inputs as tf.Tensor[];
      const { crossAttentionDim: d, numImageTokens } = this.cfg;
      const b = image.shape[0];
      const imageTokens = tf.reshape(linear(image, this.w('image_embeds.weight'), this.w('image_embeds.bias')), [
        b,
        numImageTokens,
        d,
      ]);
      const textTokens = linear(text, this.w('text_proj.weight'), this.w('text_proj.bias'));
      return tf.concat([imageTokens, textTokens], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(TextImageProjection);

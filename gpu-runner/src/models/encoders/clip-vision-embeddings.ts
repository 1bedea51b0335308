import * as tf from '@tensorflow/tfjs';
import {
  firstShape,
  type InputShape,
  inputList,
  ModuleLayer,
  type ModuleLayerArgs,
} from '../../layers/module-layer.js';
import { conv2d } from '../../ops/conv2d.js';
import { EncoderInputError } from './token-ids.js';

export interface ClipVisionEmbeddingsConfig {
  channels: number;
  hidden: number;
  imageSize: number;
  patchSize: number;
}

/**
 * `CLIPVisionEmbeddings` (torch prefix `vision_model.embeddings`): `pixel_values [B, S, S, C]` (NHWC, already
 * CLIP-normalized) -> `[class_embedding, patches...] + position_embedding` `[B, 1 + (S/P)^2, hidden]`.
 * The patch embedding is a stride-P, P x P convolution without bias; patches are ordered row by row, as torch's
 * `flatten(2)` of the NCHW conv output.
 */
export class ClipVisionEmbeddings extends ModuleLayer {
  static readonly className = 'KdClipVisionEmbeddings';
  readonly cfg: ClipVisionEmbeddingsConfig;

  constructor(args: ModuleLayerArgs & ClipVisionEmbeddingsConfig) {
    super(args);
    if (args.imageSize % args.patchSize !== 0) {
      throw new Error(`${args.name}: image_size ${args.imageSize} is not a multiple of patch_size ${args.patchSize}`);
    }
    this.cfg = { channels: args.channels, hidden: args.hidden, imageSize: args.imageSize, patchSize: args.patchSize };
  }

  /** Tokens per image: one class token plus one per patch. */
  get tokens(): number {
    return (this.cfg.imageSize / this.cfg.patchSize) ** 2 + 1;
  }

  override build(): void {
    const { channels, hidden, patchSize: p } = this.cfg;
    this.param('class_embedding', [hidden]);
    this.param('patch_embedding.weight', [p, p, channels, hidden], 'patch_embedding.weight', 'conv2d');
    this.param('position_embedding.weight', [this.tokens, hidden]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [firstShape(inputShape)[0], this.tokens, this.cfg.hidden];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const pixels = inputList(inputs)[0] as tf.Tensor4D;
    const { imageSize: s, channels, hidden, patchSize } = this.cfg;
    const [b, h, w, c] = pixels.shape;
    if (h !== s || w !== s || c !== channels) {
      throw new EncoderInputError(
        `${this.name}: pixel_values must be [batch, ${s}, ${s}, ${channels}] (NHWC), got [${pixels.shape}]`,
      );
    }
    return tf.tidy(() => {
      const patches = conv2d(pixels, this.w('patch_embedding.weight') as tf.Tensor4D, undefined, patchSize);
      const flat = tf.reshape(patches, [b, this.tokens - 1, hidden]);
      const cls = tf.broadcastTo(tf.reshape(this.w('class_embedding'), [1, 1, hidden]), [b, 1, hidden]);
      return tf.add(tf.concat([cls, flat], 1), this.w('position_embedding.weight'));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(ClipVisionEmbeddings);

import * as tf from '@tensorflow/tfjs';
import { inputList, type ModuleLayerArgs, ShapePreservingLayer } from './module-layer.js';

export interface VectorQuantizerConfig {
  numEmbeddings: number;
  embeddingDim: number;
}

/**
 * MoVQ's codebook lookup (`quantize.embedding.weight`): each latent pixel is replaced by its nearest codebook entry
 * (squared L2). Kandinsky's pipelines decode with `force_not_quantize=True` and never call this; it is here for
 * `VQModel.decode(..., force_not_quantize=False)` and for tools that want the code indices.
 */
export class VectorQuantizer extends ShapePreservingLayer {
  static readonly className = 'KdVectorQuantizer';
  readonly cfg: VectorQuantizerConfig;

  constructor(args: ModuleLayerArgs & VectorQuantizerConfig) {
    super(args);
    this.cfg = { numEmbeddings: args.numEmbeddings, embeddingDim: args.embeddingDim };
  }

  override build(): void {
    this.param('embedding.weight', [this.cfg.numEmbeddings, this.cfg.embeddingDim]);
    this.built = true;
  }

  /** Nearest codebook index per pixel, flattened in (batch, row, column) order like the reference. */
  indices(z: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      const flat = tf.reshape(z, [-1, this.cfg.embeddingDim]) as tf.Tensor2D;
      const codebook = this.w('embedding.weight') as tf.Tensor2D;
      const dist = tf.add(
        tf.sub(tf.sum(tf.square(flat), 1, true), tf.mul(tf.matMul(flat, codebook, false, true), 2)),
        tf.sum(tf.square(codebook), 1),
      );
      return tf.argMin(dist, 1) as tf.Tensor1D;
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const z = inputList(inputs)[0] as tf.Tensor4D;
      return tf.reshape(tf.gather(this.w('embedding.weight'), this.indices(z)), z.shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(VectorQuantizer);

import * as tf from '@tensorflow/tfjs';
import { LayerNormLayer } from '../../layers/layer-norm-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { applyClipEncoderLayers, applyClipProjection } from './clip-encoder-stack.js';
import { type ClipVisionConfig, parseClipVisionConfig } from './clip-vision-config.js';
import { ClipVisionEmbeddings } from './clip-vision-embeddings.js';
import { ClassTokenPool } from './sequence-layers.js';

type Sym = tf.SymbolicTensor;

/**
 * The prior's image encoder (transformers `CLIPVisionModelWithProjection`) as one graph `main`:
 * - input: `pixel_values [B, image_size, image_size, num_channels]` float32, NHWC, already CLIP-preprocessed
 *   (resized, center-cropped, normalized with the CLIP mean/std);
 * - outputs: `[image_embeds [B, projection_dim], last_hidden_state [B, 1 + patches, hidden]]`:
 *   `visual_projection(post_layernorm(class token))` and the encoder output (not post-layernormed, as in transformers).
 */
export function buildClipImageEncoder(c: ClipVisionConfig): tf.LayersModel {
  const pixels = tf.input({ shape: [c.image_size, c.image_size, c.num_channels], name: 'pixel_values' });
  let h = new ClipVisionEmbeddings({
    name: 'vision_model.embeddings',
    channels: c.num_channels,
    hidden: c.hidden_size,
    imageSize: c.image_size,
    patchSize: c.patch_size,
  }).apply(pixels) as Sym;
  // "pre_layrnorm" is the reference's spelling of the module name.
  h = new LayerNormLayer({ name: 'vision_model.pre_layrnorm', channels: c.hidden_size, eps: c.layer_norm_eps }).apply(
    h,
  ) as Sym;
  h = applyClipEncoderLayers(h, c, 'vision_model');
  const cls = new ClassTokenPool({ name: 'class_token' }).apply(h) as Sym;
  const pooled = new LayerNormLayer({
    name: 'vision_model.post_layernorm',
    channels: c.hidden_size,
    eps: c.layer_norm_eps,
  }).apply(cls) as Sym;
  const embeds = applyClipProjection(pooled, c, 'visual_projection');
  return tf.model({ inputs: pixels, outputs: [embeds, h], name: 'clip_image_encoder' });
}

/** The prior's image encoder (`model_type: "clip_vision_model"`), component kind `image_encoder`. */
export const clipImageEncoderDefinition: ComponentDefinition = {
  kind: 'image_encoder',
  matches: (config: ModelConfig) => config.model_type === 'clip_vision_model',
  buildGraphs: (config: ModelConfig) => ({ main: buildClipImageEncoder(parseClipVisionConfig(config)) }),
  // `arange(num_positions)`: every position is used in order, so the buffer carries nothing.
  legacyBufferKeys: () => ['vision_model.embeddings.position_ids'],
};

import type { ModelConfig } from '../component.js';
import { requireActivation, requireHeadSplit, requirePositive, requirePositiveInt } from './config-checks.js';

/** The `clip_vision_model` (`CLIPVisionConfig`) keys the image encoder uses, with the class defaults filled. */
export interface ClipVisionConfig {
  hidden_size: number;
  intermediate_size: number;
  projection_dim: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_channels: number;
  image_size: number;
  patch_size: number;
  hidden_act: string;
  layer_norm_eps: number;
}

const MODEL = 'CLIP image encoder';

/** Reads a `clip_vision_model` config.json (transformers defaults), refusing what the port does not implement. */
export function parseClipVisionConfig(raw: ModelConfig): ClipVisionConfig {
  const c: ModelConfig = {
    hidden_size: 768,
    intermediate_size: 3072,
    projection_dim: 512,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    num_channels: 3,
    image_size: 224,
    patch_size: 32,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    ...raw,
  };
  if (c.model_type !== 'clip_vision_model') {
    throw new Error(`${MODEL}: model_type must be "clip_vision_model", got ${JSON.stringify(c.model_type)}`);
  }
  const parsed: ClipVisionConfig = {
    hidden_size: requirePositiveInt(c, 'hidden_size', MODEL),
    intermediate_size: requirePositiveInt(c, 'intermediate_size', MODEL),
    projection_dim: requirePositiveInt(c, 'projection_dim', MODEL),
    num_hidden_layers: requirePositiveInt(c, 'num_hidden_layers', MODEL),
    num_attention_heads: requirePositiveInt(c, 'num_attention_heads', MODEL),
    num_channels: requirePositiveInt(c, 'num_channels', MODEL),
    image_size: requirePositiveInt(c, 'image_size', MODEL),
    patch_size: requirePositiveInt(c, 'patch_size', MODEL),
    hidden_act: requireActivation(c, MODEL),
    layer_norm_eps: requirePositive(c, 'layer_norm_eps', MODEL),
  };
  if (parsed.image_size % parsed.patch_size !== 0) {
    throw new Error(`${MODEL}: image_size ${parsed.image_size} is not a multiple of patch_size ${parsed.patch_size}`);
  }
  requireHeadSplit(parsed.hidden_size, parsed.num_attention_heads, MODEL);
  return parsed;
}

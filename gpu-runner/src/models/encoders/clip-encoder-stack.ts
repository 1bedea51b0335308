import type * as tf from '@tensorflow/tfjs';
import { LinearLayer } from '../../layers/linear-layer.js';
import { TransformerEncoderLayer } from '../../layers/transformer-encoder-layer.js';

type Sym = tf.SymbolicTensor;

/** The config keys the CLIP text and vision towers share (`CLIPTextConfig` / `CLIPVisionConfig`). */
export interface ClipTowerConfig {
  hidden_size: number;
  intermediate_size: number;
  projection_dim: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  hidden_act: string;
  layer_norm_eps: number;
}

/**
 * Applies a CLIP tower's `num_hidden_layers` pre-LN encoder layers, named `<prefix>.encoder.layers.<i>` as in
 * transformers (`text_model` or `vision_model`). Both towers run the same `CLIPEncoder`; only the text tower is causal.
 */
export function applyClipEncoderLayers(h: Sym, c: ClipTowerConfig, prefix: string, causal = false): Sym {
  let out = h;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    out = new TransformerEncoderLayer({
      name: `${prefix}.encoder.layers.${i}`,
      style: 'clip-pre-ln',
      hidden: c.hidden_size,
      heads: c.num_attention_heads,
      intermediate: c.intermediate_size,
      eps: c.layer_norm_eps,
      act: c.hidden_act,
      causal,
    }).apply(out) as Sym;
  }
  return out;
}

/**
 * The bias-free `hidden -> projection_dim` projection that turns a CLIP tower's pooled state into the shared
 * embedding space (`text_projection` / `visual_projection`).
 */
export function applyClipProjection(pooled: Sym, c: ClipTowerConfig, name: string): Sym {
  return new LinearLayer({
    name,
    inFeatures: c.hidden_size,
    outFeatures: c.projection_dim,
    bias: false,
  }).apply(pooled) as Sym;
}

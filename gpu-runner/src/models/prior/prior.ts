import * as tf from '@tensorflow/tfjs';
import { LayerNormLayer } from '../../layers/layer-norm-layer.js';
import { LinearLayer } from '../../layers/linear-layer.js';
import { SinusoidalTimestepLayer } from '../../layers/timestep-embedding-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { ClipDenormalizeLayer } from './clip-denormalize-layer.js';
import { LastTokenLayer } from './last-token-layer.js';
import { PriorAttentionMaskLayer } from './prior-attention-mask-layer.js';
import { PRIOR_LAYER_NORM_EPS, type PriorConfig, parsePriorConfig } from './prior-config.js';
import { PriorTokensLayer } from './prior-tokens-layer.js';
import { PriorTransformerBlock } from './prior-transformer-block.js';

type Sym = tf.SymbolicTensor;

/** The prior graph's inputs, in the order `predict` takes them. */
export const PRIOR_INPUTS = [
  'hidden_states',
  'timestep',
  'proj_embedding',
  'encoder_hidden_states',
  'attention_mask',
] as const;

/**
 * `main` graph: one denoising step of diffusers `PriorTransformer.forward`. Inputs, in order:
 * - `hidden_states [B, embedding_dim]`: the noisy (normalized) image embedding;
 * - `timestep [B, 1]` (a `[B]` tensor is accepted too): float32 timestep per sample (diffusers broadcasts a scalar;
 *   pass it repeated);
 * - `proj_embedding [B, embedding_dim]`: CLIP text embeds (`text_embeds`);
 * - `encoder_hidden_states [B, num_embeddings, embedding_dim]`: CLIP text `last_hidden_state`;
 * - `attention_mask [B, num_embeddings]`: float32 tokenizer mask, 1 = token, 0 = padding.
 *
 * Output: `predicted_image_embedding [B, clip_embed_dim]` (still normalized: see the `post_process_latents` graph).
 * The mask is always applied, with the causal part; diffusers' `attention_mask=None` path (no mask at all) is not
 * what any Kandinsky pipeline calls, so it is not offered.
 */
export function buildPrior(c: PriorConfig): tf.LayersModel {
  const inner = c.inner_dim;
  const image = tf.input({ shape: [c.embedding_dim], name: 'hidden_states' });
  // [B, 1] rather than [B]: LayersModel.predict expands rank-1 inputs to [B, 1] before checking shapes.
  const timestep = tf.input({ shape: [1], name: 'timestep' });
  const textEmbeds = tf.input({ shape: [c.embedding_proj_dim], name: 'proj_embedding' });
  const text = tf.input({ shape: [c.num_embeddings, c.embedding_dim], name: 'encoder_hidden_states' });
  const textMask = tf.input({ shape: [c.num_embeddings], name: 'attention_mask' });

  const linearLayer = (name: string, inFeatures: number, outFeatures: number, postActivation?: string) =>
    new LinearLayer({ name, inFeatures, outFeatures, postActivation });

  const timeProj = new SinusoidalTimestepLayer({
    name: 'time_proj',
    dim: inner,
    flipSinToCos: true,
    freqShift: 0,
  }).apply(timestep) as Sym;
  let time = linearLayer('time_embedding.linear_1', inner, c.time_embed_dim, c.time_embed_act_fn).apply(
    timeProj,
  ) as Sym;
  time = linearLayer('time_embedding.linear_2', c.time_embed_dim, inner).apply(time) as Sym;
  const textTokens = linearLayer('encoder_hidden_states_proj', c.embedding_dim, inner).apply(text) as Sym;
  const textEmbedToken = linearLayer('embedding_proj', c.embedding_proj_dim, inner).apply(textEmbeds) as Sym;
  const imageToken = linearLayer('proj_in', c.embedding_dim, inner).apply(image) as Sym;

  let h = new PriorTokensLayer({
    name: 'tokens',
    torchPrefix: '',
    channels: inner,
    textTokens: c.num_embeddings,
  }).apply([textTokens, textEmbedToken, time, imageToken]) as Sym;
  const mask = new PriorAttentionMaskLayer({
    name: 'attention_mask_bias',
    textTokens: c.num_embeddings,
    extraTokens: c.additional_embeddings,
  }).apply(textMask) as Sym;
  for (let i = 0; i < c.num_layers; i++) {
    h = new PriorTransformerBlock({
      name: `transformer_blocks.${i}`,
      channels: inner,
      heads: c.num_attention_heads,
      headDim: c.attention_head_dim,
      eps: PRIOR_LAYER_NORM_EPS,
    }).apply([h, mask]) as Sym;
  }
  h = new LayerNormLayer({ name: 'norm_out', channels: inner, eps: PRIOR_LAYER_NORM_EPS }).apply(h) as Sym;
  const prd = new LastTokenLayer({ name: 'prd_token' }).apply(h) as Sym;
  const out = linearLayer('proj_to_clip_embeddings', inner, c.clip_embed_dim).apply(prd) as Sym;
  return tf.model({ inputs: [image, timestep, textEmbeds, text, textMask], outputs: out, name: 'prior' });
}

/**
 * `post_process_latents` graph: `[B, clip_embed_dim] -> x * clip_std + clip_mean`. A separate graph (rather than
 * the last layer of `main`) because the pipeline applies it once, after the whole denoising loop.
 */
export function buildPriorPostProcess(c: PriorConfig): tf.LayersModel {
  const x = tf.input({ shape: [c.clip_embed_dim], name: 'prior_latents' });
  const y = new ClipDenormalizeLayer({ name: 'clip_stats', torchPrefix: '', channels: c.clip_embed_dim }).apply(
    x,
  ) as Sym;
  return tf.model({ inputs: x, outputs: y, name: 'prior_post_process' });
}

/** The diffusion prior (diffusers `PriorTransformer`) as two graphs: `main` (one step) and `post_process_latents`. */
export const priorDefinition: ComponentDefinition = {
  kind: 'prior',
  matches: (config: ModelConfig) => config._class_name === 'PriorTransformer',
  buildGraphs(config: ModelConfig) {
    const c = parsePriorConfig(config);
    return { main: buildPrior(c), post_process_latents: buildPriorPostProcess(c) };
  },
};

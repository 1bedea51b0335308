import * as tf from '@tensorflow/tfjs';
import { LayerNormLayer } from '../../layers/layer-norm-layer.js';
import { LinearLayer } from '../../layers/linear-layer.js';
import { TransformerEncoderLayer } from '../../layers/transformer-encoder-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { type ClipTextConfig, parseClipTextConfig } from './clip-text-config.js';
import { ClipTextEmbeddings } from './clip-text-embeddings.js';
import { EosTokenPool } from './sequence-layers.js';

type Sym = tf.SymbolicTensor;

/**
 * The prior's text encoder (transformers `CLIPTextModelWithProjection`) as one graph `main`:
 * - input: `input_ids [B, L]` int32 (CLIP BPE ids, L <= max_position_embeddings = 77). No attention mask: the prior
 *   pipeline calls the encoder without one, so only the causal mask applies (padding is `<|endoftext|>`, which the
 *   causal mask keeps from influencing earlier tokens);
 * - outputs: `[text_embeds [B, projection_dim], last_hidden_state [B, L, hidden]]`: `text_projection` of the
 *   final-layer-normed state at the pooled end-of-text token, and the final-layer-normed states.
 * Ids out of the vocabulary and sequences longer than the position table throw an `EncoderInputError` first.
 */
export function buildClipTextEncoder(c: ClipTextConfig): tf.LayersModel {
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'input_ids' });
  let h = new ClipTextEmbeddings({
    name: 'text_model.embeddings',
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    maxPositions: c.max_position_embeddings,
  }).apply(ids) as Sym;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    h = new TransformerEncoderLayer({
      name: `text_model.encoder.layers.${i}`,
      style: 'clip-pre-ln',
      hidden: c.hidden_size,
      heads: c.num_attention_heads,
      intermediate: c.intermediate_size,
      eps: c.layer_norm_eps,
      act: c.hidden_act,
      causal: true,
    }).apply(h) as Sym;
  }
  const last = new LayerNormLayer({
    name: 'text_model.final_layer_norm',
    channels: c.hidden_size,
    eps: c.layer_norm_eps,
  }).apply(h) as Sym;
  const pooled = new EosTokenPool({ name: 'eos_pool', rule: c.eosRule, eosTokenId: c.eos_token_id }).apply([
    last,
    ids,
  ]) as Sym;
  const embeds = new LinearLayer({
    name: 'text_projection',
    inFeatures: c.hidden_size,
    outFeatures: c.projection_dim,
    bias: false,
  }).apply(pooled) as Sym;
  return tf.model({ inputs: ids, outputs: [embeds, last], name: 'clip_text_encoder' });
}

/** The prior's text encoder (`model_type: "clip_text_model"`), component kind `prior_text_encoder`. */
export const clipTextEncoderDefinition: ComponentDefinition = {
  kind: 'prior_text_encoder',
  matches: (config: ModelConfig) => config.model_type === 'clip_text_model',
  buildGraphs: (config: ModelConfig) => ({ main: buildClipTextEncoder(parseClipTextConfig(config)) }),
  // `arange(max_position_embeddings)`, which the embeddings layer slices itself.
  legacyBufferKeys: () => ['text_model.embeddings.position_ids'],
};

import * as tf from '@tensorflow/tfjs';
import { LayerNormLayer } from '../../layers/layer-norm-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { applyClipEncoderLayers, applyClipProjection } from './clip-encoder-stack.js';
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
  const embedded = new ClipTextEmbeddings({
    name: 'text_model.embeddings',
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    maxPositions: c.max_position_embeddings,
  }).apply(ids) as Sym;
  const h = applyClipEncoderLayers(embedded, c, 'text_model', true);
  const last = new LayerNormLayer({
    name: 'text_model.final_layer_norm',
    channels: c.hidden_size,
    eps: c.layer_norm_eps,
  }).apply(h) as Sym;
  const pooled = new EosTokenPool({ name: 'eos_pool', rule: c.eosRule, eosTokenId: c.eos_token_id }).apply([
    last,
    ids,
  ]) as Sym;
  const embeds = applyClipProjection(pooled, c, 'text_projection');
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

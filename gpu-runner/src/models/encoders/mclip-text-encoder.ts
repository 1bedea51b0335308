import * as tf from '@tensorflow/tfjs';
import { LinearLayer } from '../../layers/linear-layer.js';
import { TransformerEncoderLayer } from '../../layers/transformer-encoder-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { type MClipConfig, parseMClipConfig } from './mclip-config.js';
import { KeyPaddingMask, MaskedMeanPool } from './sequence-layers.js';
import { XlmRobertaEmbeddings } from './xlm-roberta-embeddings.js';

type Sym = tf.SymbolicTensor;

/**
 * The decoder's multilingual text encoder (diffusers `MultilingualCLIP`: XLM-RoBERTa + `LinearTransformation`) as one
 * graph `main`:
 * - inputs: `input_ids [B, L]` int32 (XLM-R ids, `<s> ... </s> <pad>...`; L <= 512), `attention_mask [B, L]` int32
 *   (1 = token, 0 = padding);
 * - outputs: `[pooled_projected [B, numDims], last_hidden_state [B, L, hidden]]`: the masked mean of the last hidden
 *   states (`<s>`/`</s>` included) through `LinearTransformation`, and the hidden states themselves (the U-Net's
 *   text context).
 * Ids out of the vocabulary, sequences too long for the position table and malformed masks throw an
 * `EncoderInputError` before the encoder layers run.
 */
export function buildMClipTextEncoder(c: MClipConfig): tf.LayersModel {
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'input_ids' });
  const mask = tf.input({ shape: [null], dtype: 'int32', name: 'attention_mask' });
  const keyMask = new KeyPaddingMask({ name: 'attention_mask_additive' }).apply([mask, ids]) as Sym;
  let h = new XlmRobertaEmbeddings({
    name: 'transformer.embeddings',
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    maxPositions: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    padTokenId: c.pad_token_id,
    eps: c.layer_norm_eps,
  }).apply(ids) as Sym;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    h = new TransformerEncoderLayer({
      name: `transformer.encoder.layer.${i}`,
      style: 'bert-post-ln',
      hidden: c.hidden_size,
      heads: c.num_attention_heads,
      intermediate: c.intermediate_size,
      eps: c.layer_norm_eps,
      act: c.hidden_act,
    }).apply([h, keyMask]) as Sym;
  }
  const pooled = new MaskedMeanPool({ name: 'masked_mean' }).apply([h, mask]) as Sym;
  const projected = new LinearLayer({
    name: 'LinearTransformation',
    inFeatures: c.transformerDimensions,
    outFeatures: c.numDims,
  }).apply(pooled) as Sym;
  return tf.model({ inputs: [ids, mask], outputs: [projected, h], name: 'mclip_text_encoder' });
}

/** The decoder's text encoder (`model_type: "M-CLIP"`), component kind `text_encoder`. */
export const mclipTextEncoderDefinition: ComponentDefinition = {
  kind: 'text_encoder',
  matches: (config: ModelConfig) => config.model_type === 'M-CLIP',
  buildGraphs: (config: ModelConfig) => ({ main: buildMClipTextEncoder(parseMClipConfig(config)) }),
  // XLMRobertaModel is built with its pooler (dense + tanh on <s>), but MultilingualCLIP never reads its output.
  unusedKeys: () => ['transformer.pooler.dense.weight', 'transformer.pooler.dense.bias'],
  // Position ids are computed from the input ids and token types are always 0, so these buffers carry nothing.
  legacyBufferKeys: () => ['transformer.embeddings.position_ids', 'transformer.embeddings.token_type_ids'],
};

import type { ModelConfig } from '../component.js';
import { requireActivation, requireHeadSplit, requirePositive, requirePositiveInt } from './config-checks.js';

/** The `M-CLIP` (`MCLIPConfig`, an `XLMRobertaConfig`) keys the text encoder uses, with the class defaults filled. */
export interface MClipConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  /** Input size of `LinearTransformation` (must equal hidden_size). */
  transformerDimensions: number;
  /** Output size of `LinearTransformation` (768: the CLIP image-embedding space). */
  numDims: number;
}

const MODEL = 'M-CLIP text encoder';

/**
 * Reads an `M-CLIP` config.json. Defaults are `XLMRobertaConfig`'s (note `layer_norm_eps` 1e-12 there: real configs
 * state 1e-5) and `MCLIPConfig`'s (1024 -> 768). Refuses what the port does not implement: relative position
 * embeddings, decoder/cross-attention variants, other activations.
 */
export function parseMClipConfig(raw: ModelConfig): MClipConfig {
  const c: ModelConfig = {
    vocab_size: 30522,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: 'gelu',
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 1,
    position_embedding_type: 'absolute',
    transformerDimensions: 1024,
    numDims: 768,
    ...raw,
  };
  if (c.model_type !== 'M-CLIP')
    throw new Error(`${MODEL}: model_type must be "M-CLIP", got ${JSON.stringify(c.model_type)}`);
  if (c.position_embedding_type !== 'absolute') {
    throw new Error(
      `${MODEL}: unsupported position_embedding_type ${JSON.stringify(c.position_embedding_type)} (only "absolute")`,
    );
  }
  if (c.is_decoder === true || c.add_cross_attention === true) {
    throw new Error(`${MODEL}: decoder / cross-attention XLM-R variants are not supported`);
  }
  const parsed: MClipConfig = {
    vocab_size: requirePositiveInt(c, 'vocab_size', MODEL),
    hidden_size: requirePositiveInt(c, 'hidden_size', MODEL),
    num_hidden_layers: requirePositiveInt(c, 'num_hidden_layers', MODEL),
    num_attention_heads: requirePositiveInt(c, 'num_attention_heads', MODEL),
    intermediate_size: requirePositiveInt(c, 'intermediate_size', MODEL),
    hidden_act: requireActivation(c, MODEL),
    max_position_embeddings: requirePositiveInt(c, 'max_position_embeddings', MODEL),
    type_vocab_size: requirePositiveInt(c, 'type_vocab_size', MODEL),
    layer_norm_eps: requirePositive(c, 'layer_norm_eps', MODEL),
    pad_token_id: c.pad_token_id as number,
    transformerDimensions: requirePositiveInt(c, 'transformerDimensions', MODEL),
    numDims: requirePositiveInt(c, 'numDims', MODEL),
  };
  const pad = parsed.pad_token_id;
  if (!Number.isInteger(pad) || pad < 0 || pad >= parsed.vocab_size) {
    throw new Error(`${MODEL}: pad_token_id ${pad} is not a token of the ${parsed.vocab_size}-entry vocabulary`);
  }
  if (pad + 2 > parsed.max_position_embeddings) {
    throw new Error(
      `${MODEL}: max_position_embeddings ${parsed.max_position_embeddings} leaves no room after the padding offset`,
    );
  }
  requireHeadSplit(parsed.hidden_size, parsed.num_attention_heads, MODEL);
  if (parsed.transformerDimensions !== parsed.hidden_size) {
    throw new Error(
      `${MODEL}: transformerDimensions ${parsed.transformerDimensions} differs from hidden_size ${parsed.hidden_size}`,
    );
  }
  return parsed;
}

import type { ModelConfig } from '../component.js';
import { requireActivation, requireHeadSplit, requirePositive, requirePositiveInt } from './config-checks.js';
import type { EosRule } from './sequence-layers.js';

/** The `clip_text_model` (`CLIPTextConfig`) keys the prior's text encoder uses, with the class defaults filled. */
export interface ClipTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  projection_dim: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: string;
  layer_norm_eps: number;
  eos_token_id: number;
  /** Derived: how the pooled token is found (see `EosRule`). */
  eosRule: EosRule;
}

const MODEL = 'CLIP text encoder';

/** Reads a `clip_text_model` config.json (transformers 4.38 defaults), refusing what the port does not implement. */
export function parseClipTextConfig(raw: ModelConfig): ClipTextConfig {
  const c: ModelConfig = {
    vocab_size: 49408,
    hidden_size: 512,
    intermediate_size: 2048,
    projection_dim: 512,
    num_hidden_layers: 12,
    num_attention_heads: 8,
    max_position_embeddings: 77,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    eos_token_id: 49407,
    ...raw,
  };
  if (c.model_type !== 'clip_text_model') {
    throw new Error(`${MODEL}: model_type must be "clip_text_model", got ${JSON.stringify(c.model_type)}`);
  }
  const eos = c.eos_token_id;
  if (typeof eos !== 'number' || !Number.isInteger(eos)) throw new Error(`${MODEL}: eos_token_id must be an integer`);
  const parsed: ClipTextConfig = {
    vocab_size: requirePositiveInt(c, 'vocab_size', MODEL),
    hidden_size: requirePositiveInt(c, 'hidden_size', MODEL),
    intermediate_size: requirePositiveInt(c, 'intermediate_size', MODEL),
    projection_dim: requirePositiveInt(c, 'projection_dim', MODEL),
    num_hidden_layers: requirePositiveInt(c, 'num_hidden_layers', MODEL),
    num_attention_heads: requirePositiveInt(c, 'num_attention_heads', MODEL),
    max_position_embeddings: requirePositiveInt(c, 'max_position_embeddings', MODEL),
    hidden_act: requireActivation(c, MODEL),
    layer_norm_eps: requirePositive(c, 'layer_norm_eps', MODEL),
    eos_token_id: eos,
    // transformers 4.38 keeps the legacy argmax for configs that still say eos_token_id = 2 (the original OpenAI
    // export); any other value pools at the first eos_token_id. The reference fixtures were made with 4.38.
    eosRule: eos === 2 ? 'argmax-id' : 'first-eos',
  };
  requireHeadSplit(parsed.hidden_size, parsed.num_attention_heads, MODEL);
  return parsed;
}

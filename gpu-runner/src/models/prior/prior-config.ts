import type { ModelConfig } from '../component.js';

/** The `PriorTransformer` config keys (diffusers names), with the class defaults and derived sizes filled in. */
export interface PriorConfig {
  num_attention_heads: number;
  attention_head_dim: number;
  num_layers: number;
  /** Width of the CLIP embeddings the prior denoises (768 for ViT-L/14). */
  embedding_dim: number;
  /** Text tokens (CLIP context length, 77). */
  num_embeddings: number;
  /** Tokens after the text: text embedding, time, noisy image embedding, `prd` (4). */
  additional_embeddings: number;
  time_embed_act_fn: string;
  /** Transformer width: `num_attention_heads * attention_head_dim`. */
  inner_dim: number;
  /** `time_embed_dim ?? inner_dim`. */
  time_embed_dim: number;
  /** `embedding_proj_dim ?? embedding_dim`. */
  embedding_proj_dim: number;
  /** `clip_embed_dim ?? embedding_dim`. */
  clip_embed_dim: number;
}

/** Prior transformer LayerNorms use torch's default eps. */
export const PRIOR_LAYER_NORM_EPS = 1e-5;

/** The additive mask value diffusers uses for padded text tokens and the causal upper triangle (not -inf). */
export const PRIOR_MASK_VALUE = -10000;

/**
 * Reads a `PriorTransformer` config.json, applying diffusers' defaults and refusing the variants Kandinsky 2.1 does
 * not use (input/projection norms, no encoder projection, no `prd` token), so a different model fails loudly instead
 * of running with wrong math.
 */
export function parsePriorConfig(raw: ModelConfig): PriorConfig {
  const c = {
    num_attention_heads: 32,
    attention_head_dim: 64,
    num_layers: 20,
    embedding_dim: 768,
    num_embeddings: 77,
    additional_embeddings: 4,
    time_embed_act_fn: 'silu',
    norm_in_type: null,
    embedding_proj_norm_type: null,
    encoder_hid_proj_type: 'linear',
    added_emb_type: 'prd',
    time_embed_dim: null,
    embedding_proj_dim: null,
    clip_embed_dim: null,
    ...raw,
  } as Record<string, unknown>;
  const unsupported = (key: string, expected: unknown) => {
    if (c[key] !== expected) {
      throw new Error(
        `PriorTransformer: ${key}=${JSON.stringify(c[key])} is not supported (only ${JSON.stringify(expected)})`,
      );
    }
  };
  unsupported('norm_in_type', null);
  unsupported('embedding_proj_norm_type', null);
  unsupported('encoder_hid_proj_type', 'linear');
  unsupported('added_emb_type', 'prd');
  // The token layout [text(num_embeddings), text_embeds, time, image, prd] needs exactly 4 extra tokens.
  unsupported('additional_embeddings', 4);
  const int = (key: string): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(`PriorTransformer: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const optionalInt = (key: string, fallback: number) => (c[key] == null ? fallback : int(key));
  const heads = int('num_attention_heads');
  const headDim = int('attention_head_dim');
  const embeddingDim = int('embedding_dim');
  const inner = heads * headDim;
  return {
    num_attention_heads: heads,
    attention_head_dim: headDim,
    num_layers: int('num_layers'),
    embedding_dim: embeddingDim,
    num_embeddings: int('num_embeddings'),
    additional_embeddings: int('additional_embeddings'),
    time_embed_act_fn: String(c.time_embed_act_fn),
    inner_dim: inner,
    time_embed_dim: optionalInt('time_embed_dim', inner),
    embedding_proj_dim: optionalInt('embedding_proj_dim', embeddingDim),
    clip_embed_dim: optionalInt('clip_embed_dim', embeddingDim),
  };
}

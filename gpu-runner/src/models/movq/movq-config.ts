import type { ModelConfig } from '../component.js';

/** The `VQModel` config keys Kandinsky's MoVQ uses (diffusers names), with the class defaults filled in. */
export interface MoVQConfig {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  vq_embed_dim: number;
  num_vq_embeddings: number;
  block_out_channels: number[];
  layers_per_block: number;
  down_block_types: string[];
  up_block_types: string[];
  norm_num_groups: number;
  norm_type: 'spatial' | 'group';
  act_fn: string;
  mid_block_add_attention: boolean;
}

const DOWN_TYPES = new Set(['DownEncoderBlock2D', 'AttnDownEncoderBlock2D']);
const UP_TYPES = new Set(['UpDecoderBlock2D', 'AttnUpDecoderBlock2D']);

/** Reads a `VQModel` config.json, applying diffusers' defaults and refusing what this port does not implement. */
export function parseMoVQConfig(raw: ModelConfig): MoVQConfig {
  const c = {
    in_channels: 3,
    out_channels: 3,
    latent_channels: 3,
    vq_embed_dim: undefined as number | undefined,
    num_vq_embeddings: 256,
    block_out_channels: [64],
    layers_per_block: 1,
    down_block_types: ['DownEncoderBlock2D'],
    up_block_types: ['UpDecoderBlock2D'],
    norm_num_groups: 32,
    norm_type: 'group',
    act_fn: 'silu',
    mid_block_add_attention: true,
    ...raw,
  } as MoVQConfig & { vq_embed_dim?: number };
  const n = c.block_out_channels.length;
  if (c.down_block_types.length !== n || c.up_block_types.length !== n) {
    throw new Error(`VQModel: block_out_channels has ${n} entries but the block type lists do not`);
  }
  for (const t of c.down_block_types) if (!DOWN_TYPES.has(t)) throw new Error(`VQModel: unsupported down block ${t}`);
  for (const t of c.up_block_types) if (!UP_TYPES.has(t)) throw new Error(`VQModel: unsupported up block ${t}`);
  if (c.norm_type !== 'spatial' && c.norm_type !== 'group')
    throw new Error(`VQModel: unsupported norm_type ${c.norm_type}`);
  return { ...c, vq_embed_dim: c.vq_embed_dim ?? c.latent_channels };
}

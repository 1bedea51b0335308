import type { ModelConfig } from '../component.js';

/** The `UNet2DConditionModel` config keys the Kandinsky 2.1 U-Net uses (diffusers names), defaults filled in. */
export interface UNetConfig {
  in_channels: number;
  out_channels: number;
  block_out_channels: number[];
  layers_per_block: number;
  down_block_types: string[];
  up_block_types: string[];
  mid_block_type: string;
  /** Per-head width of every SimpleCrossAttn block, one per down block (diffusers reverses it for the up blocks). */
  attention_head_dim: number[];
  cross_attention_dim: number;
  encoder_hid_dim: number;
  /** `time_embedding_dim`, or 4 × `block_out_channels[0]` when the config leaves it null. */
  time_embed_dim: number;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  act_fn: string;
  norm_num_groups: number;
  norm_eps: number;
  resnet_time_scale_shift: 'default' | 'scale_shift';
  resnet_out_scale_factor: number;
  mid_block_scale_factor: number;
  conv_in_kernel: number;
  conv_out_kernel: number;
}

/** The down/up block types this port builds. */
export const DOWN_BLOCK_TYPES = ['ResnetDownsampleBlock2D', 'SimpleCrossAttnDownBlock2D'] as const;
export const UP_BLOCK_TYPES = ['ResnetUpsampleBlock2D', 'SimpleCrossAttnUpBlock2D'] as const;
export const MID_BLOCK_TYPE = 'UNetMidBlock2DSimpleCrossAttn';

/** diffusers `TextImageProjection` default: the image embedding becomes this many context tokens. */
export const NUM_IMAGE_TOKENS = 10;

/** The class defaults of `UNet2DConditionModel` (diffusers 0.27) for the keys read here. */
const DEFAULTS: ModelConfig = {
  in_channels: 4,
  out_channels: 4,
  center_input_sample: false,
  flip_sin_to_cos: true,
  freq_shift: 0,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  mid_block_type: 'UNetMidBlock2DCrossAttn',
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  only_cross_attention: false,
  block_out_channels: [320, 640, 1280, 1280],
  layers_per_block: 2,
  downsample_padding: 1,
  mid_block_scale_factor: 1,
  act_fn: 'silu',
  norm_num_groups: 32,
  norm_eps: 1e-5,
  cross_attention_dim: 1280,
  encoder_hid_dim: null,
  encoder_hid_dim_type: null,
  attention_head_dim: 8,
  num_attention_heads: null,
  class_embed_type: null,
  addition_embed_type: null,
  resnet_time_scale_shift: 'default',
  resnet_skip_time_act: false,
  resnet_out_scale_factor: 1,
  time_embedding_type: 'positional',
  time_embedding_dim: null,
  time_embedding_act_fn: null,
  timestep_post_act: null,
  time_cond_proj_dim: null,
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  mid_block_only_cross_attention: null,
  cross_attention_norm: null,
  attention_type: 'default',
};

/**
 * Reads a `UNet2DConditionModel` config.json, applying diffusers' defaults and refusing every value this port does
 * not implement (other block types, other addition/encoder embeddings, extra time conditioning), so an unsupported
 * checkpoint fails at conversion rather than computing something else.
 */
export function parseUNetConfig(raw: ModelConfig): UNetConfig {
  const c = { ...DEFAULTS, ...raw } as Record<string, unknown>;
  const fail = (msg: string): never => {
    throw new Error(`UNet2DConditionModel: ${msg}`);
  };
  const expect = (key: string, allowed: unknown[], why: string) => {
    if (!allowed.some((a) => a === c[key])) fail(`unsupported ${key} ${JSON.stringify(c[key])} (${why})`);
  };
  const positiveInt = (key: string): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };

  expect('addition_embed_type', ['text_image'], 'only the Kandinsky 2.1 text_image addition embedding is implemented');
  expect('encoder_hid_dim_type', ['text_image_proj'], 'only the Kandinsky 2.1 text_image_proj context is implemented');
  expect('mid_block_type', [MID_BLOCK_TYPE], 'only the SimpleCrossAttn mid block is implemented');
  expect('time_embedding_type', ['positional'], 'only sinusoidal time embeddings are implemented');
  expect(
    'resnet_time_scale_shift',
    ['default', 'scale_shift'],
    'ada_group/spatial time conditioning is not implemented',
  );
  expect('attention_type', ['default'], 'gated attention is not implemented');
  for (const key of [
    'class_embed_type',
    'num_attention_heads',
    'time_cond_proj_dim',
    'time_embedding_act_fn',
    'timestep_post_act',
    'cross_attention_norm',
  ]) {
    expect(key, [null, undefined], 'Kandinsky 2.1 leaves it unset and this port does not implement it');
  }
  for (const key of [
    'center_input_sample',
    'only_cross_attention',
    'resnet_skip_time_act',
    'mid_block_only_cross_attention',
  ]) {
    expect(key, [false, null, undefined], 'Kandinsky 2.1 leaves it off and this port does not implement it');
  }
  if (c.norm_num_groups == null) fail('norm_num_groups null (no conv_norm_out) is not implemented');

  const blocks = c.block_out_channels;
  if (!Array.isArray(blocks) || blocks.length === 0 || !blocks.every((b) => Number.isInteger(b) && b > 0)) {
    fail(`block_out_channels must be a non-empty list of positive integers, got ${JSON.stringify(blocks)}`);
  }
  const boc = blocks as number[];
  const n = boc.length;
  const down = c.down_block_types as string[];
  const up = c.up_block_types as string[];
  if (!Array.isArray(down) || down.length !== n || !Array.isArray(up) || up.length !== n) {
    fail(`block_out_channels has ${n} entries but down_block_types/up_block_types do not`);
  }
  for (const t of down) if (!(DOWN_BLOCK_TYPES as readonly string[]).includes(t)) fail(`unsupported down block ${t}`);
  for (const t of up) if (!(UP_BLOCK_TYPES as readonly string[]).includes(t)) fail(`unsupported up block ${t}`);

  const headDim = c.attention_head_dim;
  const headDims = Array.isArray(headDim) ? (headDim as number[]) : Array.from({ length: n }, () => headDim as number);
  if (headDims.length !== n || !headDims.every((d) => Number.isInteger(d) && d > 0)) {
    fail(`attention_head_dim must be a positive integer or one per block, got ${JSON.stringify(headDim)}`);
  }
  boc.forEach((ch, i) => {
    if (down[i] === 'SimpleCrossAttnDownBlock2D' && ch % headDims[i] !== 0) {
      fail(`block ${i}: ${ch} channels do not split into heads of ${headDims[i]}`);
    }
  });
  if (boc[n - 1] % headDims[n - 1] !== 0)
    fail(`mid block: ${boc[n - 1]} channels do not split into heads of ${headDims[n - 1]}`);
  if (Array.isArray(c.layers_per_block)) fail('a per-block layers_per_block list is not implemented');
  if (Array.isArray(c.cross_attention_dim)) fail('a per-block cross_attention_dim list is not implemented');
  for (const k of ['conv_in_kernel', 'conv_out_kernel']) {
    if ((positiveInt(k) & 1) === 0) fail(`${k} must be odd (same padding), got ${c[k]}`);
  }

  return {
    in_channels: positiveInt('in_channels'),
    out_channels: positiveInt('out_channels'),
    block_out_channels: boc,
    layers_per_block: positiveInt('layers_per_block'),
    down_block_types: down,
    up_block_types: up,
    mid_block_type: c.mid_block_type as string,
    attention_head_dim: headDims,
    cross_attention_dim: positiveInt('cross_attention_dim'),
    encoder_hid_dim: positiveInt('encoder_hid_dim'),
    time_embed_dim: c.time_embedding_dim == null ? 4 * boc[0] : positiveInt('time_embedding_dim'),
    flip_sin_to_cos: Boolean(c.flip_sin_to_cos),
    freq_shift: Number(c.freq_shift),
    act_fn: c.act_fn as string,
    norm_num_groups: positiveInt('norm_num_groups'),
    norm_eps: Number(c.norm_eps),
    resnet_time_scale_shift: c.resnet_time_scale_shift as 'default' | 'scale_shift',
    resnet_out_scale_factor: Number(c.resnet_out_scale_factor),
    mid_block_scale_factor: Number(c.mid_block_scale_factor),
    conv_in_kernel: c.conv_in_kernel as number,
    conv_out_kernel: c.conv_out_kernel as number,
  };
}

import { describe, expect, it } from 'vitest';
import { fullSizeConfig } from '../../../test/helpers/full-keys.js';
import { parseUNetConfig } from './unet-config.js';

describe('parseUNetConfig', () => {
  const full = fullSizeConfig('unet');

  it('reads the Kandinsky 2.1 config: per-head dim 64, time embedding 4 x 384, scale_shift', () => {
    const c = parseUNetConfig(full);
    expect(c.attention_head_dim).toEqual([64, 64, 64, 64]);
    expect(c.time_embed_dim).toBe(1536);
    expect(c.resnet_time_scale_shift).toBe('scale_shift');
    expect(c.out_channels).toBe(8);
    expect(parseUNetConfig(fullSizeConfig('unet_inpaint')).in_channels).toBe(9);
  });

  it.each([
    [
      'down_block_types',
      [
        'CrossAttnDownBlock2D',
        'SimpleCrossAttnDownBlock2D',
        'SimpleCrossAttnDownBlock2D',
        'SimpleCrossAttnDownBlock2D',
      ],
      /unsupported down block CrossAttnDownBlock2D/,
    ],
    [
      'up_block_types',
      ['UpBlock2D', 'SimpleCrossAttnUpBlock2D', 'SimpleCrossAttnUpBlock2D', 'ResnetUpsampleBlock2D'],
      /unsupported up block UpBlock2D/,
    ],
    ['mid_block_type', 'UNetMidBlock2DCrossAttn', /mid_block_type/],
    ['addition_embed_type', 'text', /addition_embed_type "text"/],
    ['encoder_hid_dim_type', 'text_proj', /encoder_hid_dim_type/],
    ['class_embed_type', 'timestep', /class_embed_type/],
    ['time_cond_proj_dim', 256, /time_cond_proj_dim/],
    ['only_cross_attention', true, /only_cross_attention/],
    ['cross_attention_norm', 'group_norm', /cross_attention_norm/],
    ['resnet_time_scale_shift', 'ada_group', /resnet_time_scale_shift/],
    ['attention_head_dim', 100, /do not split into heads of 100/],
    ['layers_per_block', [3, 3, 3, 3], /layers_per_block/],
    ['conv_in_kernel', 4, /conv_in_kernel must be odd/],
  ])('refuses %s = %j', (key, value, message) => {
    expect(() => parseUNetConfig({ ...full, [key]: value })).toThrow(message);
  });

  it('refuses block lists of different lengths', () => {
    expect(() => parseUNetConfig({ ...full, block_out_channels: [384, 768, 1152] })).toThrow(/3 entries/);
  });
});

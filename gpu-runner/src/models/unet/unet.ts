import * as tf from '@tensorflow/tfjs';
import { AttentionBlock } from '../../layers/attention-block.js';
import { Conv2dLayer } from '../../layers/conv2d-layer.js';
import { GroupNormLayer } from '../../layers/norm-layers.js';
import { ResnetBlock2D } from '../../layers/resnet-block.js';
import { TextImageProjection, TextImageTimeEmbedding } from '../../layers/text-image-layers.js';
import { SinusoidalTimestepLayer, TimestepEmbeddingLayer } from '../../layers/timestep-embedding-layer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { NUM_IMAGE_TOKENS, parseUNetConfig, type UNetConfig } from './unet-config.js';

type Sym = tf.SymbolicTensor;

/** diffusers' `Attention` keeps its GroupNorm at the class default eps, whatever `norm_eps` says. */
const ATTENTION_NORM_EPS = 1e-5;

/**
 * The U-Net graph's inputs, in this order (names as in the graph):
 * 1. `sample` `[B, h, w, in_channels]`: NHWC latents (4 channels; 9 for inpainting: latents, masked-image latents, mask);
 *    `h` and `w` must be multiples of 2^(number of down blocks - 1) (8 for Kandinsky) so the skips line up.
 * 2. `timestep` `[B, 1]` float32 (`[B]` is accepted by `predict` too): one timestep per batch row (the pipeline
 *    broadcasts the scalar step).
 * 3. `text_hidden` `[B, S, encoder_hid_dim]`: the text encoder's last hidden state (XLM-R, S = 77, 1024 wide).
 * 4. `text_embeds` `[B, cross_attention_dim]`: the pooled text embedding (MCLIP, 768).
 * 5. `image_embeds` `[B, cross_attention_dim]`: the prior's image embedding (768).
 * Output: `[B, h, w, out_channels]` (Kandinsky: 4 noise channels then 4 learned-variance channels).
 */
export const UNET_INPUTS = ['sample', 'timestep', 'text_hidden', 'text_embeds', 'image_embeds'] as const;

/** Builds diffusers' `UNet2DConditionModel` as Kandinsky 2.1 configures it, as one TF.js graph (see {@link UNET_INPUTS}). */
export function buildUNet(c: UNetConfig): tf.LayersModel {
  const sample = tf.input({ shape: [null, null, c.in_channels], name: 'sample' });
  // A column, because LayersModel.predict turns a [B] vector into [B, 1] before checking input shapes.
  const timestep = tf.input({ shape: [1], name: 'timestep' });
  const textHidden = tf.input({ shape: [null, c.encoder_hid_dim], name: 'text_hidden' });
  const textEmbeds = tf.input({ shape: [c.cross_attention_dim], name: 'text_embeds' });
  const imageEmbeds = tf.input({ shape: [c.cross_attention_dim], name: 'image_embeds' });
  const boc = c.block_out_channels;
  const n = boc.length;

  // 1. time embedding + text_image addition embedding (added, not concatenated).
  const tProj = new SinusoidalTimestepLayer({
    name: 'time_proj',
    dim: boc[0],
    flipSinToCos: c.flip_sin_to_cos,
    freqShift: c.freq_shift,
  }).apply(timestep) as Sym;
  const tEmb = new TimestepEmbeddingLayer({
    name: 'time_embedding',
    inChannels: boc[0],
    timeEmbedDim: c.time_embed_dim,
    act: c.act_fn,
  }).apply(tProj) as Sym;
  const augEmb = new TextImageTimeEmbedding({
    name: 'add_embedding',
    textEmbedDim: c.cross_attention_dim,
    imageEmbedDim: c.cross_attention_dim,
    timeEmbedDim: c.time_embed_dim,
  }).apply([textEmbeds, imageEmbeds]) as Sym;
  const temb = tf.layers.add({ name: 'time_embedding_plus_addition' }).apply([tEmb, augEmb]) as Sym;

  // 2. the attention context: 10 image tokens then the projected text tokens.
  const context = new TextImageProjection({
    name: 'encoder_hid_proj',
    textEmbedDim: c.encoder_hid_dim,
    imageEmbedDim: c.cross_attention_dim,
    crossAttentionDim: c.cross_attention_dim,
    numImageTokens: NUM_IMAGE_TOKENS,
  }).apply([textHidden, imageEmbeds]) as Sym;

  const resnet = (
    name: string,
    cin: number,
    cout: number,
    x: Sym,
    opts: { resample?: 'up' | 'down'; scale?: number } = {},
  ) =>
    new ResnetBlock2D({
      name,
      inChannels: cin,
      outChannels: cout,
      norm: 'group',
      groups: c.norm_num_groups,
      eps: c.norm_eps,
      tembChannels: c.time_embed_dim,
      timeEmbeddingNorm: c.resnet_time_scale_shift,
      resample: opts.resample ?? 'none',
      outputScaleFactor: opts.scale ?? c.resnet_out_scale_factor,
      act: c.act_fn,
    }).apply([x, temb]) as Sym;
  const attention = (name: string, channels: number, headDim: number, x: Sym) =>
    new AttentionBlock({
      name,
      channels,
      heads: channels / headDim,
      headDim,
      norm: 'group',
      groups: c.norm_num_groups,
      eps: ATTENTION_NORM_EPS,
      addedKvDim: c.cross_attention_dim,
    }).apply([x, context]) as Sym;

  // 3. down blocks; every resnet/attention output and every downsampler output is a skip.
  const pad = (k: number) => (k - 1) / 2;
  let h = new Conv2dLayer({
    name: 'conv_in',
    inChannels: c.in_channels,
    outChannels: boc[0],
    kernelSize: c.conv_in_kernel,
    padding: pad(c.conv_in_kernel),
  }).apply(sample) as Sym;
  const skips: { x: Sym; channels: number }[] = [{ x: h, channels: boc[0] }];
  let channels = boc[0];
  c.down_block_types.forEach((type, i) => {
    const out = boc[i];
    for (let j = 0; j < c.layers_per_block; j++) {
      h = resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? channels : out, out, h);
      if (type === 'SimpleCrossAttnDownBlock2D')
        h = attention(`down_blocks.${i}.attentions.${j}`, out, c.attention_head_dim[i], h);
      skips.push({ x: h, channels: out });
    }
    channels = out;
    if (i < n - 1) {
      h = resnet(`down_blocks.${i}.downsamplers.0`, out, out, h, { resample: 'down' });
      skips.push({ x: h, channels: out });
    }
  });

  // 4. mid block: resnet, joint attention, resnet.
  h = resnet('mid_block.resnets.0', channels, channels, h, { scale: c.mid_block_scale_factor });
  h = attention('mid_block.attentions.0', channels, c.attention_head_dim[n - 1], h);
  h = resnet('mid_block.resnets.1', channels, channels, h, { scale: c.mid_block_scale_factor });

  // 5. up blocks: each resnet consumes cat([h, skip], channels), skips taken last-in first-out.
  c.up_block_types.forEach((type, i) => {
    const out = boc[n - 1 - i];
    const headDim = c.attention_head_dim[n - 1 - i];
    for (let j = 0; j < c.layers_per_block + 1; j++) {
      const skip = skips.pop();
      if (!skip) throw new Error('UNet: ran out of skip connections (block lists inconsistent)');
      h = tf.layers.concatenate({ axis: -1, name: `up_blocks.${i}.skip_concat.${j}` }).apply([h, skip.x]) as Sym;
      h = resnet(`up_blocks.${i}.resnets.${j}`, channels + skip.channels, out, h);
      channels = out;
      if (type === 'SimpleCrossAttnUpBlock2D') h = attention(`up_blocks.${i}.attentions.${j}`, out, headDim, h);
    }
    if (i < n - 1) h = resnet(`up_blocks.${i}.upsamplers.0`, out, out, h, { resample: 'up' });
  });

  // 6. GroupNorm -> SiLU -> conv_out (noise and learned variance).
  h = new GroupNormLayer({ name: 'conv_norm_out', channels, groups: c.norm_num_groups, eps: c.norm_eps }).apply(
    h,
  ) as Sym;
  const out = new Conv2dLayer({
    name: 'conv_out',
    inChannels: channels,
    outChannels: c.out_channels,
    kernelSize: c.conv_out_kernel,
    padding: pad(c.conv_out_kernel),
    preActivation: c.act_fn,
  }).apply(h) as Sym;
  return tf.model({ inputs: [sample, timestep, textHidden, textEmbeds, imageEmbeds], outputs: out, name: 'unet' });
}

/**
 * The Kandinsky 2.1 U-Net (text-to-image, and inpainting with `in_channels` 9: same definition) as one graph, `main`.
 */
export const unetDefinition: ComponentDefinition = {
  kind: 'unet',
  matches: (config: ModelConfig) => config._class_name === 'UNet2DConditionModel',
  buildGraphs(config: ModelConfig) {
    return { main: buildUNet(parseUNetConfig(config)) };
  },
};

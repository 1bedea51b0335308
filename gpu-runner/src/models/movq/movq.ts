import * as tf from '@tensorflow/tfjs';
import { AttentionBlock } from '../../layers/attention-block.js';
import { Conv2dLayer } from '../../layers/conv2d-layer.js';
import { GroupNormLayer, SpatialNormLayer } from '../../layers/norm-layers.js';
import { ResnetBlock2D } from '../../layers/resnet-block.js';
import { VectorQuantizer } from '../../layers/vector-quantizer.js';
import type { ComponentDefinition, ModelConfig } from '../component.js';
import { type MoVQConfig, parseMoVQConfig } from './movq-config.js';

type Sym = tf.SymbolicTensor;

/** MoVQ norms use eps 1e-6 everywhere (diffusers hard-codes it in Encoder/Decoder). */
const EPS = 1e-6;

/**
 * `encoder` graph: image `[B, H, W, 3]` in [-1, 1] -> latents `[B, H/8, W/8, vq_embed_dim]`
 * (diffusers `VQModel.encode(x).latents` = `quant_conv(encoder(x))`, not quantized).
 */
export function buildMoVQEncoder(c: MoVQConfig): tf.LayersModel {
  const image = tf.input({ shape: [null, null, c.in_channels], name: 'image' });
  const boc = c.block_out_channels;
  let h = new Conv2dLayer({
    name: 'encoder.conv_in',
    inChannels: c.in_channels,
    outChannels: boc[0],
    kernelSize: 3,
    padding: 1,
  }).apply(image) as Sym;
  let channels = boc[0];
  c.down_block_types.forEach((type, i) => {
    const out = boc[i];
    for (let j = 0; j < c.layers_per_block; j++) {
      h = resnet(`encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? channels : out, out, c, 'group').apply(h) as Sym;
      if (type === 'AttnDownEncoderBlock2D') {
        h = attention(`encoder.down_blocks.${i}.attentions.${j}`, out, c, 'group').apply(h) as Sym;
      }
    }
    channels = out;
    if (i < boc.length - 1) {
      // diffusers Downsample2D(padding=0): F.pad(x, (0, 1, 0, 1)) then a stride-2 conv.
      h = new Conv2dLayer({
        name: `encoder.down_blocks.${i}.downsamplers.0.conv`,
        inChannels: out,
        outChannels: out,
        kernelSize: 3,
        stride: 2,
        padding: [0, 1, 0, 1],
      }).apply(h) as Sym;
    }
  });
  h = midBlock('encoder.mid_block', channels, c, 'group', h);
  h = new GroupNormLayer({ name: 'encoder.conv_norm_out', channels, groups: c.norm_num_groups, eps: EPS }).apply(
    h,
  ) as Sym;
  h = new Conv2dLayer({
    name: 'encoder.conv_out',
    inChannels: channels,
    outChannels: c.latent_channels,
    kernelSize: 3,
    padding: 1,
    preActivation: c.act_fn,
  }).apply(h) as Sym;
  const latents = new Conv2dLayer({
    name: 'quant_conv',
    inChannels: c.latent_channels,
    outChannels: c.vq_embed_dim,
    kernelSize: 1,
  }).apply(h) as Sym;
  return tf.model({ inputs: image, outputs: latents, name: 'movq_encoder' });
}

/**
 * `decoder` graph: latents `[B, h, w, vq_embed_dim]` -> image `[B, 8h, 8w, 3]`, as
 * `VQModel.decode(z, force_not_quantize=True)`: SpatialNorm is conditioned on `z` itself (before `post_quant_conv`).
 */
export function buildMoVQDecoder(c: MoVQConfig): tf.LayersModel {
  const z = tf.input({ shape: [null, null, c.vq_embed_dim], name: 'latents' });
  const norm = c.norm_type;
  const zq = norm === 'spatial' ? z : undefined;
  const boc = c.block_out_channels;
  const withZq = (x: Sym) => (zq ? [x, zq] : x);
  let h = new Conv2dLayer({
    name: 'post_quant_conv',
    inChannels: c.vq_embed_dim,
    outChannels: c.latent_channels,
    kernelSize: 1,
  }).apply(z) as Sym;
  h = new Conv2dLayer({
    name: 'decoder.conv_in',
    inChannels: c.latent_channels,
    outChannels: boc[boc.length - 1],
    kernelSize: 3,
    padding: 1,
  }).apply(h) as Sym;
  h = midBlock('decoder.mid_block', boc[boc.length - 1], c, norm, h, zq);
  const reversed = [...boc].reverse();
  let channels = reversed[0];
  c.up_block_types.forEach((type, i) => {
    const out = reversed[i];
    for (let j = 0; j < c.layers_per_block + 1; j++) {
      h = resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? channels : out, out, c, norm).apply(withZq(h)) as Sym;
      if (type === 'AttnUpDecoderBlock2D') {
        h = attention(`decoder.up_blocks.${i}.attentions.${j}`, out, c, norm).apply(withZq(h)) as Sym;
      }
    }
    channels = out;
    if (i < reversed.length - 1) {
      h = new Conv2dLayer({
        name: `decoder.up_blocks.${i}.upsamplers.0.conv`,
        inChannels: out,
        outChannels: out,
        kernelSize: 3,
        padding: 1,
        preUpsample: 2,
      }).apply(h) as Sym;
    }
  });
  h = (
    norm === 'spatial'
      ? new SpatialNormLayer({ name: 'decoder.conv_norm_out', channels, zqChannels: c.vq_embed_dim })
      : new GroupNormLayer({ name: 'decoder.conv_norm_out', channels, groups: c.norm_num_groups, eps: EPS })
  ).apply(withZq(h)) as Sym;
  const image = new Conv2dLayer({
    name: 'decoder.conv_out',
    inChannels: channels,
    outChannels: c.out_channels,
    kernelSize: 3,
    padding: 1,
    preActivation: c.act_fn,
  }).apply(h) as Sym;
  return tf.model({ inputs: z, outputs: image, name: 'movq_decoder' });
}

/** `quantizer` graph: latents -> nearest codebook entries (same shape). */
export function buildMoVQQuantizer(c: MoVQConfig): tf.LayersModel {
  const z = tf.input({ shape: [null, null, c.vq_embed_dim], name: 'latents' });
  const q = new VectorQuantizer({
    name: 'quantize',
    numEmbeddings: c.num_vq_embeddings,
    embeddingDim: c.vq_embed_dim,
  }).apply(z) as Sym;
  return tf.model({ inputs: z, outputs: q, name: 'movq_quantizer' });
}

function resnet(name: string, cin: number, cout: number, c: MoVQConfig, norm: 'group' | 'spatial'): ResnetBlock2D {
  return new ResnetBlock2D({
    name,
    inChannels: cin,
    outChannels: cout,
    norm,
    groups: c.norm_num_groups,
    eps: EPS,
    zqChannels: c.vq_embed_dim,
    tembChannels: null,
    act: c.act_fn,
  });
}

function attention(name: string, channels: number, c: MoVQConfig, norm: 'group' | 'spatial'): AttentionBlock {
  // The VQ encoder/decoder pass attention_head_dim = channels: one head as wide as the feature map.
  return new AttentionBlock({
    name,
    channels,
    heads: 1,
    headDim: channels,
    norm,
    groups: c.norm_num_groups,
    eps: EPS,
    zqChannels: c.vq_embed_dim,
  });
}

function midBlock(prefix: string, ch: number, c: MoVQConfig, norm: 'group' | 'spatial', x: Sym, zq?: Sym): Sym {
  const withZq = (t: Sym) => (zq ? [t, zq] : t);
  let h = resnet(`${prefix}.resnets.0`, ch, ch, c, norm).apply(withZq(x)) as Sym;
  if (c.mid_block_add_attention) h = attention(`${prefix}.attentions.0`, ch, c, norm).apply(withZq(h)) as Sym;
  return resnet(`${prefix}.resnets.1`, ch, ch, c, norm).apply(withZq(h)) as Sym;
}

/** MoVQ (diffusers `VQModel` with a spatial-norm decoder) as three graphs: encoder, quantizer, decoder. */
export const movqDefinition: ComponentDefinition = {
  kind: 'movq',
  matches: (config: ModelConfig) => config._class_name === 'VQModel',
  buildGraphs(config: ModelConfig) {
    const c = parseMoVQConfig(config);
    return { encoder: buildMoVQEncoder(c), quantizer: buildMoVQQuantizer(c), decoder: buildMoVQDecoder(c) };
  },
};

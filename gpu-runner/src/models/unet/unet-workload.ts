import type { UNetConfig } from './unet-config.js';
import { NUM_IMAGE_TOKENS } from './unet-config.js';

/** A convolution of one U-Net step: NHWC `[batch, h, w, cin]` with a `k`×`k` kernel to `cout` channels (stride 1). */
export interface ConvWork {
  kind: 'conv';
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
}

/** A 2-D matmul `[m, k] @ [k, n]`, done `count` times per occurrence (e.g. once per batch row and head). */
export interface MatMulWork {
  kind: 'matmul';
  m: number;
  k: number;
  n: number;
  count: number;
}

export type Work = (ConvWork | MatMulWork) & { where: string };

/**
 * How attention projections are shaped: `per-head` as the wasm path runs them (each batch row and head projected with
 * its own `[C, headDim]` block), `batched` as one `[B·N, C] @ [C, C]` per projection (GPU / tfjs-node). Same FLOPs.
 */
export type AttentionShapes = 'per-head' | 'batched';

/** Multiply-adds × 2 of one work item (the convention PyTorch profilers and the reference figure use). */
export function workFlops(item: Work): number {
  if (item.kind === 'conv') return 2 * item.batch * item.h * item.w * item.k * item.k * item.cin * item.cout;
  return 2 * item.m * item.k * item.n * item.count;
}

/** A stable key for identical shapes (benchmarks measure each distinct shape once). */
export function workShapeKey(item: Work): string {
  return item.kind === 'conv'
    ? `conv b${item.batch} ${item.h}x${item.w} ${item.cin}->${item.cout} k${item.k}`
    : `matmul ${item.m}x${item.k}x${item.n}`;
}

/**
 * Every convolution and matmul of one U-Net call for a latent of `h`×`w` and `textTokens` text positions, mirroring
 * the graph `buildUNet` makes. Element-wise work (norms, activations, softmax, concats) is left out: it is what the
 * benchmark reports as overhead on top of this list.
 */
export function unetWorkload(
  c: UNetConfig,
  batch: number,
  h: number,
  w: number,
  textTokens: number,
  attentionShapes: AttentionShapes = 'per-head',
): Work[] {
  const out: Work[] = [];
  const ctx = NUM_IMAGE_TOKENS + textTokens;
  const temb = c.time_embed_dim;
  const boc = c.block_out_channels;
  const n = boc.length;
  const linear = (where: string, m: number, k: number, nOut: number, count = 1) =>
    out.push({ kind: 'matmul', m, k, n: nOut, count, where });
  const conv = (where: string, hh: number, ww: number, cin: number, cout: number, k: number) =>
    out.push({ kind: 'conv', batch, h: hh, w: ww, cin, cout, k, where });

  linear('time_embedding.linear_1', batch, boc[0], temb);
  linear('time_embedding.linear_2', batch, temb, temb);
  linear('add_embedding.text_proj', batch, c.cross_attention_dim, temb);
  linear('add_embedding.image_proj', batch, c.cross_attention_dim, temb);
  linear('encoder_hid_proj.image_embeds', batch, c.cross_attention_dim, NUM_IMAGE_TOKENS * c.cross_attention_dim);
  linear('encoder_hid_proj.text_proj', batch * textTokens, c.encoder_hid_dim, c.cross_attention_dim);

  const resnet = (where: string, hh: number, ww: number, cin: number, cout: number) => {
    const projOut = c.resnet_time_scale_shift === 'scale_shift' ? 2 * cout : cout;
    linear(`${where}.time_emb_proj`, batch, temb, projOut);
    conv(`${where}.conv1`, hh, ww, cin, cout, 3);
    conv(`${where}.conv2`, hh, ww, cout, cout, 3);
    if (cin !== cout) conv(`${where}.conv_shortcut`, hh, ww, cin, cout, 1);
  };
  const attention = (where: string, hh: number, ww: number, ch: number, headDim: number) => {
    const tokens = hh * ww;
    const heads = ch / headDim;
    if (attentionShapes === 'per-head') {
      linear(`${where}.to_qkv`, tokens, ch, headDim, 3 * batch * heads);
      linear(`${where}.add_kv_proj`, ctx, c.cross_attention_dim, headDim, 2 * batch * heads);
    } else {
      linear(`${where}.to_qkv`, batch * tokens, ch, ch, 3);
      linear(`${where}.add_kv_proj`, batch * ctx, c.cross_attention_dim, ch, 2);
    }
    linear(`${where}.scores`, tokens, headDim, ctx + tokens, batch * heads);
    linear(`${where}.weighted_values`, tokens, ctx + tokens, headDim, batch * heads);
    linear(`${where}.to_out`, batch * tokens, ch, ch);
  };

  conv('conv_in', h, w, c.in_channels, boc[0], c.conv_in_kernel);
  let hh = h;
  let ww = w;
  const skips: number[] = [boc[0]];
  let ch = boc[0];
  c.down_block_types.forEach((type, i) => {
    for (let j = 0; j < c.layers_per_block; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, hh, ww, j === 0 ? ch : boc[i], boc[i]);
      if (type === 'SimpleCrossAttnDownBlock2D')
        attention(`down_blocks.${i}.attentions.${j}`, hh, ww, boc[i], c.attention_head_dim[i]);
      skips.push(boc[i]);
    }
    ch = boc[i];
    if (i < n - 1) {
      hh /= 2;
      ww /= 2;
      resnet(`down_blocks.${i}.downsamplers.0`, hh, ww, ch, ch);
      skips.push(ch);
    }
  });
  resnet('mid_block.resnets.0', hh, ww, ch, ch);
  attention('mid_block.attentions.0', hh, ww, ch, c.attention_head_dim[n - 1]);
  resnet('mid_block.resnets.1', hh, ww, ch, ch);
  c.up_block_types.forEach((type, i) => {
    const o = boc[n - 1 - i];
    for (let j = 0; j < c.layers_per_block + 1; j++) {
      const skip = skips.pop() ?? 0;
      resnet(`up_blocks.${i}.resnets.${j}`, hh, ww, ch + skip, o);
      ch = o;
      if (type === 'SimpleCrossAttnUpBlock2D')
        attention(`up_blocks.${i}.attentions.${j}`, hh, ww, o, c.attention_head_dim[n - 1 - i]);
    }
    if (i < n - 1) {
      hh *= 2;
      ww *= 2;
      resnet(`up_blocks.${i}.upsamplers.0`, hh, ww, o, o);
    }
  });
  conv('conv_out', h, w, ch, c.out_channels, c.conv_out_kernel);
  return out;
}

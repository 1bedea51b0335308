import * as tf from '@tensorflow/tfjs';
import { type ModuleLayerArgs, ShapePreservingLayer } from '../../layers/module-layer.js';
import { gelu } from '../../ops/activations.js';
import { multiHeadAttention } from '../../ops/attention.js';
import { linear } from '../../ops/linear.js';
import { layerNorm } from '../../ops/normalization.js';

export interface PriorTransformerBlockConfig {
  channels: number;
  heads: number;
  headDim: number;
  eps: number;
}

/**
 * The prior's diffusers `BasicTransformerBlock` (self-attention only, `activation_fn="gelu"`, `attention_bias=True`):
 * `h += attn1(norm1(h), mask)`, then `h += ff(norm3(h))` with `ff = Linear(C, 4C) -> exact GELU -> Linear(4C, C)`.
 *
 * `to_q`/`to_k`/`to_v` are fused into one `[C, 3C]` weight (`attn1.to_qkv`) so the projection is a single 2-D matmul.
 * Inputs: `[h [B, N, C], mask [B, 1, N, N]]` (additive, see `PriorAttentionMaskLayer`).
 */
export class PriorTransformerBlock extends ShapePreservingLayer {
  static readonly className = 'KdPriorTransformerBlock';
  readonly cfg: PriorTransformerBlockConfig;

  constructor(args: ModuleLayerArgs & PriorTransformerBlockConfig) {
    super(args);
    this.cfg = { channels: args.channels, heads: args.heads, headDim: args.headDim, eps: args.eps };
  }

  override build(): void {
    const { channels: c, heads, headDim } = this.cfg;
    const inner = heads * headDim;
    this.param('norm1.weight', [c]);
    this.param('norm1.bias', [c]);
    const qkv = ['to_q', 'to_k', 'to_v'];
    this.param(
      'attn1.to_qkv.weight',
      [c, 3 * inner],
      qkv.map((p) => ({ key: `attn1.${p}.weight`, layout: 'linear' as const })),
      'linear',
      1,
    );
    this.param(
      'attn1.to_qkv.bias',
      [3 * inner],
      qkv.map((p) => ({ key: `attn1.${p}.bias`, layout: 'plain' as const })),
      'plain',
      0,
    );
    this.param('attn1.to_out.0.weight', [inner, c], 'attn1.to_out.0.weight', 'linear');
    this.param('attn1.to_out.0.bias', [c]);
    this.param('norm3.weight', [c]);
    this.param('norm3.bias', [c]);
    this.param('ff.net.0.proj.weight', [c, 4 * c], 'ff.net.0.proj.weight', 'linear');
    this.param('ff.net.0.proj.bias', [4 * c]);
    this.param('ff.net.2.weight', [4 * c, c], 'ff.net.2.weight', 'linear');
    this.param('ff.net.2.bias', [c]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = inputs as tf.Tensor[];
      const { heads, headDim, eps } = this.cfg;
      const normed = layerNorm(x, this.w('norm1.weight'), this.w('norm1.bias'), eps);
      const qkv = linear(normed, this.w('attn1.to_qkv.weight'), this.w('attn1.to_qkv.bias'));
      const [q, k, v] = tf.split(qkv, 3, -1) as tf.Tensor3D[];
      const attended = multiHeadAttention(q, k, v, heads, 1 / Math.sqrt(headDim), mask);
      const h = tf.add(x, linear(attended, this.w('attn1.to_out.0.weight'), this.w('attn1.to_out.0.bias')));
      const ffIn = layerNorm(h, this.w('norm3.weight'), this.w('norm3.bias'), eps);
      const hidden = gelu(linear(ffIn, this.w('ff.net.0.proj.weight'), this.w('ff.net.0.proj.bias')));
      return tf.add(h, linear(hidden, this.w('ff.net.2.weight'), this.w('ff.net.2.bias')));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(PriorTransformerBlock);

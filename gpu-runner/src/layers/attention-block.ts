import * as tf from '@tensorflow/tfjs';
import { multiHeadAttention } from '../ops/attention.js';
import { linear } from '../ops/linear.js';
import { groupNorm } from '../ops/normalization.js';
import { spatialNorm } from '../ops/spatial-norm.js';
import { unstackLeading } from '../ops/unstack-leading.js';
import { HeadWeightCache } from './head-weight-cache.js';
import { type ModuleLayerArgs, ShapePreservingLayer } from './module-layer.js';
import { declareSpatialNorm } from './norm-layers.js';

export interface AttentionBlockConfig {
  channels: number;
  heads: number;
  headDim: number;
  /** `group`: GroupNorm on x; `spatial`: SpatialNorm on `[x, zq]` (MoVQ decoder). */
  norm: 'group' | 'spatial';
  groups: number;
  eps: number;
  zqChannels?: number;
  /**
   * Width of an added context (`add_k_proj`/`add_v_proj`, diffusers `AttnAddedKVProcessor`): the context's keys and
   * values come FIRST, then the normalized spatial tokens', in one softmax. Null for plain self-attention.
   */
  addedKvDim?: number | null;
}

/**
 * A diffusers `Attention` over a spatial feature map with a residual connection: the MoVQ single-head self-attention
 * and the UNet's joint self + added-context attention (SimpleCrossAttn). Inputs: `[x]`, `[x, zq]` or `[x, context]`.
 */
export class AttentionBlock extends ShapePreservingLayer {
  static readonly className = 'KdAttentionBlock';
  readonly cfg: AttentionBlockConfig;
  private readonly headWeights = new HeadWeightCache();

  constructor(args: ModuleLayerArgs & AttentionBlockConfig) {
    super(args);
    this.cfg = {
      channels: args.channels,
      heads: args.heads,
      headDim: args.headDim,
      norm: args.norm,
      groups: args.groups,
      eps: args.eps,
      zqChannels: args.zqChannels,
      addedKvDim: args.addedKvDim ?? null,
    };
  }

  override build(): void {
    const { channels: c, heads, headDim, norm, zqChannels, addedKvDim } = this.cfg;
    const inner = heads * headDim;
    if (norm === 'spatial') {
      declareSpatialNorm((n, s, src, l) => this.param(n, s, src, l), 'spatial_norm.', c, zqChannels!);
    } else {
      this.param('group_norm.weight', [c]);
      this.param('group_norm.bias', [c]);
    }
    for (const p of ['to_q', 'to_k', 'to_v']) {
      this.param(`${p}.weight`, [c, inner], `${p}.weight`, 'linear');
      this.param(`${p}.bias`, [inner]);
    }
    if (addedKvDim != null) {
      for (const p of ['add_k_proj', 'add_v_proj']) {
        this.param(`${p}.weight`, [addedKvDim, inner], `${p}.weight`, 'linear');
        this.param(`${p}.bias`, [inner]);
      }
    }
    this.param('to_out.0.weight', [inner, c], 'to_out.0.weight', 'linear');
    this.param('to_out.0.bias', [c]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const { norm, groups, eps, addedKvDim } = this.cfg;
      const normed =
        norm === 'spatial'
          ? spatialNorm(x, list[1] as tf.Tensor4D, (n) => this.w(n), 'spatial_norm.')
          : groupNorm(x, this.w('group_norm.weight'), this.w('group_norm.bias'), groups, eps);
      const tokens = tf.reshape(normed, [b, h * w, c]) as tf.Tensor3D;
      const context = addedKvDim != null ? (list[1] as tf.Tensor3D) : undefined;
      const attended =
        tf.getBackend() === 'wasm' ? this.attendPerHead(tokens, context) : this.attendBatched(tokens, context);
      const out = linear(attended, this.w('to_out.0.weight'), this.w('to_out.0.bias'));
      return tf.add(tf.reshape(out, [b, h, w, c]), x);
    });
  }

  /** Projections over all heads at once, then `multiHeadAttention` (batched matmuls): GPU / tfjs-node. */
  private attendBatched(tokens: tf.Tensor3D, context: tf.Tensor3D | undefined): tf.Tensor {
    const { heads, headDim } = this.cfg;
    const proj = (t: tf.Tensor, p: string) => linear(t, this.w(`${p}.weight`), this.w(`${p}.bias`)) as tf.Tensor3D;
    const q = proj(tokens, 'to_q');
    let k = proj(tokens, 'to_k');
    let v = proj(tokens, 'to_v');
    if (context) {
      k = tf.concat([proj(context, 'add_k_proj'), k], 1);
      v = tf.concat([proj(context, 'add_v_proj'), v], 1);
    }
    return multiHeadAttention(q, k, v, heads, 1 / Math.sqrt(headDim));
  }

  /**
   * wasm: every batch row and head as plain 2-D matmuls (the only matmuls XNNPACK runs there), each head projected
   * with its own weight block so no head is ever cut out of a larger tensor; keys are made `[d, Nk]` by a small
   * per-head transpose (a transposed matmul would fall to the scalar loop). The softmax scale is folded into the
   * query weights. Context keys/values come first, as in the reference's joint softmax.
   */
  private attendPerHead(tokens: tf.Tensor3D, context: tf.Tensor3D | undefined): tf.Tensor {
    const { heads, headDim } = this.cfg;
    const spec = (p: string, factor = 1): [tf.Tensor, tf.Tensor, number] => [
      this.w(`${p}.weight`),
      this.w(`${p}.bias`),
      factor,
    ];
    const proj = this.headWeights.get(heads, {
      q: spec('to_q', 1 / Math.sqrt(headDim)),
      k: spec('to_k'),
      v: spec('to_v'),
      ...(context ? { ck: spec('add_k_proj'), cv: spec('add_v_proj') } : {}),
    });
    const project = (x: tf.Tensor, name: string, hi: number) => {
      const p = proj.get(name)!;
      return tf.fused.matMul({ a: x as tf.Tensor2D, b: p.weights[hi], bias: p.biases[hi] });
    };
    const rows = unstackLeading(tokens);
    const contexts = context ? unstackLeading(context) : [];
    const outputs = rows.map((x, bi) => {
      const perHead = Array.from({ length: heads }, (_, hi) =>
        tf.tidy(() => {
          let keysT: tf.Tensor = tf.transpose(project(x, 'k', hi));
          let values = project(x, 'v', hi);
          if (context) {
            keysT = tf.concat([tf.transpose(project(contexts[bi], 'ck', hi)), keysT], 1);
            values = tf.concat([project(contexts[bi], 'cv', hi), values], 0);
          }
          const scores = tf.matMul(project(x, 'q', hi), keysT as tf.Tensor2D);
          return tf.matMul(tf.softmax(scores, -1) as tf.Tensor2D, values);
        }),
      );
      return heads === 1 ? perHead[0] : tf.concat(perHead, 1);
    });
    return tf.concat(outputs, 0);
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    this.headWeights.dispose();
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(AttentionBlock);

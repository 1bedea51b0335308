import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { additiveCausalMask } from '../ops/additive-masks.js';
import { multiHeadAttention } from '../ops/attention.js';
import { linear } from '../ops/linear.js';
import { layerNorm } from '../ops/normalization.js';
import { inputList, type ModuleLayerArgs, ShapePreservingLayer } from './module-layer.js';

/**
 * Which transformer encoder layer this is; the two differ in where the LayerNorms sit and in their torch key names.
 * - `bert-post-ln` (BERT / XLM-R `XLMRobertaLayer`): `x = LN(x + attn(x)); x = LN(x + ffn(x))`.
 * - `clip-pre-ln` (CLIP `CLIPEncoderLayer`): `x = x + attn(LN1(x)); x = x + mlp(LN2(x))`.
 */
export type EncoderLayerStyle = 'bert-post-ln' | 'clip-pre-ln';

export interface TransformerEncoderLayerConfig {
  style: EncoderLayerStyle;
  hidden: number;
  heads: number;
  intermediate: number;
  eps: number;
  /** The feed-forward activation by its transformers name (`gelu` = exact erf GELU, `quick_gelu`). */
  act: string;
  /** Adds a causal mask (CLIP text); an optional second input adds a `[B, 1, 1, L]` additive padding mask too. */
  causal?: boolean;
}

/** Torch key names (relative to the layer) of each part, per style. */
const KEYS: Record<EncoderLayerStyle, Record<'q' | 'k' | 'v' | 'out' | 'norm1' | 'fc1' | 'fc2' | 'norm2', string>> = {
  'bert-post-ln': {
    q: 'attention.self.query',
    k: 'attention.self.key',
    v: 'attention.self.value',
    out: 'attention.output.dense',
    norm1: 'attention.output.LayerNorm',
    fc1: 'intermediate.dense',
    fc2: 'output.dense',
    norm2: 'output.LayerNorm',
  },
  'clip-pre-ln': {
    q: 'self_attn.q_proj',
    k: 'self_attn.k_proj',
    v: 'self_attn.v_proj',
    out: 'self_attn.out_proj',
    norm1: 'layer_norm1',
    fc1: 'mlp.fc1',
    fc2: 'mlp.fc2',
    norm2: 'layer_norm2',
  },
};

/**
 * One transformer encoder layer (self-attention + feed-forward) on `[B, L, hidden]`, named after its torch module
 * (e.g. `transformer.encoder.layer.3`, `text_model.encoder.layers.0`).
 *
 * Inputs: `x` or `[x, additiveMask]` (`[B, 1, 1, L]`, see `ops/additive-masks.ts`). The q/k/v projections are fused
 * into one `[hidden, 3 * hidden]` weight at conversion, so the layer runs one 2-D matmul for all three (the fast wasm
 * path) instead of three.
 */
export class TransformerEncoderLayer extends ShapePreservingLayer {
  static readonly className = 'KdTransformerEncoderLayer';
  readonly cfg: Required<TransformerEncoderLayerConfig>;

  constructor(args: ModuleLayerArgs & TransformerEncoderLayerConfig) {
    super(args);
    if (args.hidden % args.heads !== 0) {
      throw new Error(`${args.name}: hidden size ${args.hidden} is not divisible by ${args.heads} heads`);
    }
    if (!KEYS[args.style]) throw new Error(`${args.name}: unknown encoder layer style "${args.style}"`);
    this.cfg = {
      style: args.style,
      hidden: args.hidden,
      heads: args.heads,
      intermediate: args.intermediate,
      eps: args.eps,
      act: args.act,
      causal: args.causal ?? false,
    };
  }

  override build(): void {
    const { hidden: h, intermediate: f } = this.cfg;
    const k = KEYS[this.cfg.style];
    const lin = (m: string) => ({ key: `${m}.weight`, layout: 'linear' as const });
    const bias = (m: string) => ({ key: `${m}.bias`, layout: 'plain' as const });
    this.param('qkv.weight', [h, 3 * h], [lin(k.q), lin(k.k), lin(k.v)], 'linear', 1);
    this.param('qkv.bias', [3 * h], [bias(k.q), bias(k.k), bias(k.v)], 'plain', 0);
    this.param('out.weight', [h, h], `${k.out}.weight`, 'linear');
    this.param('out.bias', [h], `${k.out}.bias`);
    this.param('norm1.weight', [h], `${k.norm1}.weight`);
    this.param('norm1.bias', [h], `${k.norm1}.bias`);
    this.param('fc1.weight', [h, f], `${k.fc1}.weight`, 'linear');
    this.param('fc1.bias', [f], `${k.fc1}.bias`);
    this.param('fc2.weight', [f, h], `${k.fc2}.weight`, 'linear');
    this.param('fc2.bias', [h], `${k.fc2}.bias`);
    this.param('norm2.weight', [h], `${k.norm2}.weight`);
    this.param('norm2.bias', [h], `${k.norm2}.bias`);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, padding] = inputList(inputs) as [tf.Tensor3D, tf.Tensor4D | undefined];
      const length = x.shape[1];
      let mask: tf.Tensor | undefined = padding;
      if (this.cfg.causal) {
        const causal = additiveCausalMask(length);
        mask = mask ? tf.add(mask, causal) : causal;
      }
      const norm = (t: tf.Tensor, which: 'norm1' | 'norm2') =>
        layerNorm(t, this.w(`${which}.weight`), this.w(`${which}.bias`), this.cfg.eps);
      if (this.cfg.style === 'bert-post-ln') {
        const attended = norm(tf.add(x, this.attention(x, mask)), 'norm1');
        return norm(tf.add(attended, this.feedForward(attended)), 'norm2');
      }
      const attended = tf.add(x, this.attention(norm(x, 'norm1') as tf.Tensor3D, mask));
      return tf.add(attended, this.feedForward(norm(attended, 'norm2')));
    });
  }

  /** Self-attention with the output projection, `[B, L, H] -> [B, L, H]`. */
  private attention(x: tf.Tensor3D, mask: tf.Tensor | undefined): tf.Tensor {
    const [b, l, h] = x.shape;
    const qkv = linear(tf.reshape(x, [b * l, h]), this.w('qkv.weight'), this.w('qkv.bias'));
    const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [b, l, h]) as tf.Tensor3D);
    const headDim = h / this.cfg.heads;
    const attended = multiHeadAttention(q, k, v, this.cfg.heads, 1 / Math.sqrt(headDim), mask);
    return linear(attended, this.w('out.weight'), this.w('out.bias'));
  }

  private feedForward(x: tf.Tensor): tf.Tensor {
    const inner = activation(this.cfg.act, linear(x, this.w('fc1.weight'), this.w('fc1.bias')));
    return linear(inner, this.w('fc2.weight'), this.w('fc2.bias'));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(TransformerEncoderLayer);

import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { conv2d } from '../ops/conv2d.js';
import { linear } from '../ops/linear.js';
import { groupNorm, type NormModulation } from '../ops/normalization.js';
import { avgPool2x2, upsampleInteger } from '../ops/resample.js';
import { spatialNorm } from '../ops/spatial-norm.js';
import { firstShape, type InputShape, ModuleLayer, type ModuleLayerArgs } from './module-layer.js';
import { declareSpatialNorm } from './norm-layers.js';

export interface ResnetBlockConfig {
  inChannels: number;
  outChannels: number;
  /** `group`: GroupNorm (diffusers `ResnetBlock2D`); `spatial`: SpatialNorm on a zq input (`ResnetBlockCondNorm2D`). */
  norm: 'group' | 'spatial';
  groups: number;
  eps: number;
  /** Channels of the SpatialNorm condition (for `norm: 'spatial'`). */
  zqChannels?: number;
  /** Width of the time embedding input, or null for blocks without one. */
  tembChannels: number | null;
  /** `default` adds the projected embedding before norm2; `scale_shift` applies `norm2(h) * (1 + scale) + shift`. */
  timeEmbeddingNorm?: 'default' | 'scale_shift';
  /** `down`: 2×2 average pooling inside the block; `up`: nearest ×2 (the UNet's ResNet up/downsamplers). */
  resample?: 'none' | 'up' | 'down';
  outputScaleFactor?: number;
  act?: string;
}

/**
 * A diffusers ResNet block over NHWC input: `norm1 -> act -> [resample] -> conv1 -> (+temb) -> norm2 -> act -> conv2`,
 * plus a (1×1 conv) shortcut. Inputs: `[x]`, `[x, temb]` or `[x, zq]`.
 */
export class ResnetBlock2D extends ModuleLayer {
  static readonly className = 'KdResnetBlock2D';
  readonly cfg: Required<Omit<ResnetBlockConfig, 'zqChannels'>> & { zqChannels?: number };

  constructor(args: ModuleLayerArgs & ResnetBlockConfig) {
    super(args);
    this.cfg = {
      inChannels: args.inChannels,
      outChannels: args.outChannels,
      norm: args.norm,
      groups: args.groups,
      eps: args.eps,
      zqChannels: args.zqChannels,
      tembChannels: args.tembChannels,
      // model.json round-trips string values through camelCase ('scale_shift' comes back as 'scaleShift').
      timeEmbeddingNorm:
        (args.timeEmbeddingNorm as string) === 'scaleShift' ? 'scale_shift' : (args.timeEmbeddingNorm ?? 'default'),
      resample: args.resample ?? 'none',
      outputScaleFactor: args.outputScaleFactor ?? 1,
      act: args.act ?? 'silu',
    };
  }

  private get hasShortcut(): boolean {
    return this.cfg.inChannels !== this.cfg.outChannels;
  }

  override build(): void {
    const { inChannels: cin, outChannels: cout, norm, zqChannels, tembChannels } = this.cfg;
    const declareNorm = (prefix: string, c: number) => {
      if (norm === 'spatial') {
        declareSpatialNorm((n, s, src, l) => this.param(n, s, src, l), `${prefix}.`, c, zqChannels!);
      } else {
        this.param(`${prefix}.weight`, [c]);
        this.param(`${prefix}.bias`, [c]);
      }
    };
    declareNorm('norm1', cin);
    this.param('conv1.weight', [3, 3, cin, cout], 'conv1.weight', 'conv2d');
    this.param('conv1.bias', [cout]);
    if (tembChannels != null) {
      const projOut = this.cfg.timeEmbeddingNorm === 'scale_shift' ? 2 * cout : cout;
      this.param('time_emb_proj.weight', [tembChannels, projOut], 'time_emb_proj.weight', 'linear');
      this.param('time_emb_proj.bias', [projOut]);
    }
    declareNorm('norm2', cout);
    this.param('conv2.weight', [3, 3, cout, cout], 'conv2.weight', 'conv2d');
    this.param('conv2.bias', [cout]);
    if (this.hasShortcut) {
      this.param('conv_shortcut.weight', [1, 1, cin, cout], 'conv_shortcut.weight', 'conv2d');
      this.param('conv_shortcut.bias', [cout]);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [n, h, w] = firstShape(inputShape);
    const f = this.cfg.resample === 'up' ? 2 : this.cfg.resample === 'down' ? 0.5 : 1;
    const scale = (s: number | null) => (s == null ? null : Math.floor(s * f));
    return [n, scale(h), scale(w), this.cfg.outChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor4D;
      const cond = list[1];
      const { norm, groups, eps, act } = this.cfg;
      const normalize = (t: tf.Tensor4D, prefix: string, modulation?: NormModulation) =>
        norm === 'spatial'
          ? spatialNorm(t, cond as tf.Tensor4D, (n) => this.w(n), `${prefix}.`)
          : groupNorm(t, this.w(`${prefix}.weight`), this.w(`${prefix}.bias`), groups, eps, modulation);

      let h = activation(act, normalize(x, 'norm1')) as tf.Tensor4D;
      let skip = x;
      if (this.cfg.resample === 'up') {
        h = upsampleInteger(h, 2, 2);
        skip = upsampleInteger(skip, 2, 2);
      } else if (this.cfg.resample === 'down') {
        h = avgPool2x2(h);
        skip = avgPool2x2(skip);
      }
      h = conv2d(h, this.w('conv1.weight') as tf.Tensor4D, this.w('conv1.bias') as tf.Tensor1D, 1, 1);

      let modulation: NormModulation | undefined;
      if (this.cfg.tembChannels != null) {
        const t = linear(activation(act, cond), this.w('time_emb_proj.weight'), this.w('time_emb_proj.bias'));
        const [b, c] = t.shape;
        if (this.cfg.timeEmbeddingNorm === 'scale_shift') {
          // norm2(h) * (1 + scale) + shift, folded into the norm's per-channel affine (no extra passes over h).
          const [scale, shift] = tf.split(t, 2, -1);
          modulation = { scale, shift };
        } else {
          h = tf.add(h, tf.reshape(t, [b, 1, 1, c]));
        }
      }
      h = normalize(h, 'norm2', modulation);
      h = activation(act, h) as tf.Tensor4D;
      h = conv2d(h, this.w('conv2.weight') as tf.Tensor4D, this.w('conv2.bias') as tf.Tensor1D, 1, 1);

      if (this.hasShortcut) {
        skip = conv2d(skip, this.w('conv_shortcut.weight') as tf.Tensor4D, this.w('conv_shortcut.bias') as tf.Tensor1D);
      }
      const out = tf.add(skip, h);
      return this.cfg.outputScaleFactor === 1 ? out : tf.div(out, this.cfg.outputScaleFactor);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(ResnetBlock2D);

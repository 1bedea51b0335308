import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { groupNorm } from '../ops/normalization.js';
import { spatialNorm } from '../ops/spatial-norm.js';
import { inputList, type ModuleLayerArgs, ShapePreservingLayer } from './module-layer.js';

export interface GroupNormConfig {
  channels: number;
  groups: number;
  eps: number;
  /** An activation applied after the norm (the `conv_norm_out` -> SiLU pattern). */
  postActivation?: string;
}

/** `torch.nn.GroupNorm` over NHWC input (`weight`, `bias`), optionally followed by an activation. */
export class GroupNormLayer extends ShapePreservingLayer {
  static readonly className = 'KdGroupNorm';
  readonly cfg: GroupNormConfig;

  constructor(args: ModuleLayerArgs & GroupNormConfig) {
    super(args);
    this.cfg = { channels: args.channels, groups: args.groups, eps: args.eps, postActivation: args.postActivation };
  }

  override build(): void {
    this.param('weight', [this.cfg.channels]);
    this.param('bias', [this.cfg.channels]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0] as tf.Tensor4D;
      const y = groupNorm(x, this.w('weight'), this.w('bias'), this.cfg.groups, this.cfg.eps);
      return this.cfg.postActivation ? activation(this.cfg.postActivation, y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(GroupNormLayer);

export interface SpatialNormConfig {
  channels: number;
  zqChannels: number;
  /** An activation applied after the norm. */
  postActivation?: string;
}

/**
 * MoVQ's `SpatialNorm(f, zq)`: inputs `[features, zq]`; params `norm_layer.*`, `conv_y.*`, `conv_b.*`.
 * The group count is fixed at 32 by the reference, whatever `norm_num_groups` says.
 */
export class SpatialNormLayer extends ShapePreservingLayer {
  static readonly className = 'KdSpatialNorm';
  readonly cfg: SpatialNormConfig;

  constructor(args: ModuleLayerArgs & SpatialNormConfig) {
    super(args);
    this.cfg = { channels: args.channels, zqChannels: args.zqChannels, postActivation: args.postActivation };
  }

  override build(): void {
    declareSpatialNorm(this.paramDeclarer(), '', this.cfg.channels, this.cfg.zqChannels);
    this.built = true;
  }

  /** Exposes `param` to helpers that declare a group of weights. */
  paramDeclarer(): ParamDeclarer {
    return (name, shape, source, layout) => this.param(name, shape, source, layout);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, zq] = inputs as tf.Tensor4D[];
      const y = spatialNorm(x, zq, (n) => this.w(n), '');
      return this.cfg.postActivation ? activation(this.cfg.postActivation, y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(SpatialNormLayer);

/** A function that declares one weight on a layer (see `ModuleLayer.param`). */
export type ParamDeclarer = (
  name: string,
  shape: number[],
  source?: string,
  layout?: 'conv2d' | 'linear' | 'plain',
) => void;

/** Declares the six weights of a SpatialNorm under `prefix` (e.g. `norm1.`). */
export function declareSpatialNorm(param: ParamDeclarer, prefix: string, channels: number, zqChannels: number): void {
  param(`${prefix}norm_layer.weight`, [channels]);
  param(`${prefix}norm_layer.bias`, [channels]);
  param(`${prefix}conv_y.weight`, [1, 1, zqChannels, channels], `${prefix}conv_y.weight`, 'conv2d');
  param(`${prefix}conv_y.bias`, [channels]);
  param(`${prefix}conv_b.weight`, [1, 1, zqChannels, channels], `${prefix}conv_b.weight`, 'conv2d');
  param(`${prefix}conv_b.bias`, [channels]);
}

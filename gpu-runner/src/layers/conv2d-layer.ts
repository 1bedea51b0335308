import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { conv2d, type TorchPadding } from '../ops/conv2d.js';
import { upsampleInteger } from '../ops/resample.js';
import { firstShape, type InputShape, inputList, ModuleLayer, type ModuleLayerArgs } from './module-layer.js';

export interface Conv2dConfig {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  /** PyTorch padding: one number, or `[top, bottom, left, right]` for an `F.pad` before the conv. */
  padding?: TorchPadding;
  bias?: boolean;
  /** An activation applied to the input first (e.g. `silu` before `conv_out`). */
  preActivation?: string;
  /** Nearest-neighbour upsampling of the input by this factor first (diffusers `Upsample2D` with a conv). */
  preUpsample?: number;
}

/** `torch.nn.Conv2d` over NHWC input (`weight`, `bias`). */
export class Conv2dLayer extends ModuleLayer {
  static readonly className = 'KdConv2d';
  readonly cfg: Conv2dConfig;

  constructor(args: ModuleLayerArgs & Conv2dConfig) {
    super(args);
    this.cfg = {
      inChannels: args.inChannels,
      outChannels: args.outChannels,
      kernelSize: args.kernelSize,
      stride: args.stride ?? 1,
      padding: args.padding ?? 0,
      bias: args.bias ?? true,
      preActivation: args.preActivation,
      preUpsample: args.preUpsample,
    };
  }

  override build(): void {
    const { kernelSize: k, inChannels, outChannels } = this.cfg;
    this.param('weight', [k, k, inChannels, outChannels], 'weight', 'conv2d');
    if (this.cfg.bias) this.param('bias', [outChannels]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const [n, h0, w0] = firstShape(inputShape);
    const { kernelSize: k, stride = 1, padding = 0, preUpsample: f = 1 } = this.cfg;
    const h = h0 == null ? null : h0 * f;
    const w = w0 == null ? null : w0 * f;
    const [t, b, l, r] = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
    const out = (size: number | null, p: number) => (size == null ? null : Math.floor((size + p - k) / stride) + 1);
    return [n, out(h, t + b), out(w, l + r), this.cfg.outChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = inputList(inputs)[0] as tf.Tensor4D;
      if (this.cfg.preActivation) x = activation(this.cfg.preActivation, x) as tf.Tensor4D;
      if (this.cfg.preUpsample && this.cfg.preUpsample > 1)
        x = upsampleInteger(x, this.cfg.preUpsample, this.cfg.preUpsample);
      return conv2d(
        x,
        this.w('weight') as tf.Tensor4D,
        this.cfg.bias ? (this.w('bias') as tf.Tensor1D) : undefined,
        this.cfg.stride,
        this.cfg.padding,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(Conv2dLayer);

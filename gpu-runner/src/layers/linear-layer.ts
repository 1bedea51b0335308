import * as tf from '@tensorflow/tfjs';
import { activation } from '../ops/activations.js';
import { linear } from '../ops/linear.js';
import { firstShape, type InputShape, inputList, ModuleLayer, type ModuleLayerArgs } from './module-layer.js';

export interface LinearConfig {
  inFeatures: number;
  outFeatures: number;
  /** Whether the torch module has a `bias` (torch's default: true; CLIP's projections have none). */
  bias?: boolean;
  /** An activation applied to the output (e.g. `gelu` for a feed-forward's first projection). */
  postActivation?: string;
}

/**
 * `torch.nn.Linear(inFeatures, outFeatures)` over the last axis of input of any rank (params `weight` stored
 * `[in, out]`, `bias`). The matmul is folded to 2-D (see `ops/linear.ts`), which is what wasm runs fast.
 */
export class LinearLayer extends ModuleLayer {
  static readonly className = 'KdLinear';
  readonly cfg: LinearConfig & { bias: boolean };

  constructor(args: ModuleLayerArgs & LinearConfig) {
    super(args);
    this.cfg = {
      inFeatures: args.inFeatures,
      outFeatures: args.outFeatures,
      bias: args.bias ?? true,
      postActivation: args.postActivation,
    };
  }

  override build(): void {
    this.param('weight', [this.cfg.inFeatures, this.cfg.outFeatures], 'weight', 'linear');
    if (this.cfg.bias) this.param('bias', [this.cfg.outFeatures]);
    this.built = true;
  }

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return [...firstShape(inputShape).slice(0, -1), this.cfg.outFeatures];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0];
      const y = linear(x, this.w('weight'), this.cfg.bias ? this.w('bias') : undefined);
      return this.cfg.postActivation ? activation(this.cfg.postActivation, y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { postActivation, ...rest } = this.cfg;
    // tfjs config dicts must not hold `undefined`.
    return {
      ...super.getConfig(),
      ...rest,
      ...(postActivation ? { postActivation } : {}),
    } as tf.serialization.ConfigDict;
  }
}
tf.serialization.registerClass(LinearLayer);

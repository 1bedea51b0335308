import * as tf from '@tensorflow/tfjs';

/**
 * How a PyTorch tensor is laid out relative to ours (NHWC, `x @ W`):
 * - `conv2d`: torch `[out, in, kh, kw]` becomes `[kh, kw, in, out]`;
 * - `linear`: torch `[out, in]` becomes `[in, out]` (so `matMul` needs no transpose, which wasm runs slowly);
 * - `plain`: same layout (biases, norms, embeddings tables, positional tables).
 */
export type TorchLayout = 'conv2d' | 'linear' | 'plain';

/** One PyTorch checkpoint tensor that feeds a weight. */
export interface TorchSource {
  /** The key relative to the layer's torch prefix, e.g. `conv1.weight`. */
  key: string;
  layout: TorchLayout;
}

/** A weight a layer declares: its name, its shape in our layout, and the checkpoint tensor(s) it comes from. */
export interface ParamSpec {
  /** The weight's name inside the layer; saved as `<layer name>/<name>`. */
  name: string;
  shape: number[];
  /** Usually one source; several are concatenated along `concatAxis` after conversion (fused projections). */
  sources: TorchSource[];
  concatAxis?: number;
}

let planDepth = 0;

/**
 * Runs `fn` with weight allocation switched off: layers record their {@link ParamSpec}s but create no variables.
 * The converter uses this to map full-size checkpoints (billions of parameters) onto a model's topology without
 * allocating any of it.
 */
export function withoutAllocation<T>(fn: () => T): T {
  planDepth++;
  try {
    return fn();
  } finally {
    planDepth--;
  }
}

/** Base fields every module layer accepts. */
export interface ModuleLayerArgs {
  name: string;
  /** The PyTorch module path this layer's weights live under (defaults to the layer name; `''` for the root). */
  torchPrefix?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
}

/**
 * A TF.js layer that stands for one PyTorch module (or a small group of them). Its weights are declared with
 * {@link ModuleLayer.param} under the PyTorch key names, which is what lets the converter map a diffusers or
 * transformers checkpoint onto the model strictly: every checkpoint key used once, every weight filled.
 *
 * Subclasses keep their hyper-parameters in a plain config object returned by `getConfig()`, so models round-trip
 * through `model.json` (register each subclass with `tf.serialization.registerClass`).
 */
export abstract class ModuleLayer extends tf.layers.Layer {
  /** The weights this layer declared, in declaration order. */
  readonly paramSpecs: ParamSpec[] = [];
  readonly torchPrefix: string;
  private readonly vars = new Map<string, tf.LayerVariable>();

  constructor(args: ModuleLayerArgs) {
    super({ name: args.name, trainable: args.trainable ?? false, dtype: args.dtype });
    this.torchPrefix = args.torchPrefix ?? args.name;
  }

  /**
   * Declares a weight. `shape` is in our layout; `source` names the checkpoint tensor(s) relative to the torch
   * prefix (a string means one source with `layout`).
   */
  protected param(
    name: string,
    shape: number[],
    source: string | TorchSource[] = name,
    layout: TorchLayout = 'plain',
    concatAxis?: number,
  ): void {
    const sources = typeof source === 'string' ? [{ key: source, layout }] : source;
    this.paramSpecs.push({ name, shape, sources, concatAxis });
    if (planDepth > 0) return;
    this.vars.set(name, this.addWeight(name, shape, 'float32', tf.initializers.zeros(), undefined, false));
  }

  /** The current value of a declared weight (valid inside `call`). */
  protected w(name: string): tf.Tensor {
    const v = this.vars.get(name);
    if (!v) throw new Error(`${this.getClassName()} ${this.name}: no weight "${name}" (was build() called?)`);
    return v.read();
  }

  /** The full PyTorch key of a source. */
  torchKey(key: string): string {
    return this.torchPrefix ? `${this.torchPrefix}.${key}` : key;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), torchPrefix: this.torchPrefix };
  }
}

/** The tfjs shape type of a layer input: a single shape or a list of them. */
export type InputShape = tf.Shape | tf.Shape[];

/** Returns the first shape of a possibly multi-input shape list. */
export function firstShape(inputShape: InputShape): tf.Shape {
  return Array.isArray(inputShape[0]) ? (inputShape[0] as tf.Shape) : (inputShape as tf.Shape);
}

/**
 * A module layer whose output has the shape of its first input (norms, attention and transformer blocks, residual
 * layers): the one output-shape rule most layers share, written once.
 */
export abstract class ShapePreservingLayer extends ModuleLayer {
  override computeOutputShape(inputShape: InputShape): tf.Shape {
    return firstShape(inputShape);
  }
}

/** Returns the input tensor list of a layer call. */
export function inputList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

import type * as tf from '@tensorflow/tfjs';

/** A model's `config.json`, as diffusers or transformers wrote it. */
export type ModelConfig = Record<string, unknown>;

/**
 * Everything the converter and loader need to know about one kind of component (MoVQ, U-Net, prior, encoders).
 * Models are built from the reference's own config object, with its own key names.
 */
export interface ComponentDefinition {
  /** Stable id, also the folder name the pipelines look for: `movq`, `unet`, `prior`, `text_encoder`, ... */
  kind: string;
  /** True when a `config.json` describes this component (`_class_name` for diffusers, `model_type` for transformers). */
  matches(config: ModelConfig): boolean;
  /**
   * Builds the TF.js layers model(s) of the component. Most components are one graph (`main`); MoVQ has
   * `encoder`, `quantizer` and `decoder`. Every weight-bearing layer is a `ModuleLayer`.
   */
  buildGraphs(config: ModelConfig): Record<string, tf.LayersModel>;
  /**
   * Checkpoint keys the reference holds but never uses at inference (e.g. XLM-R's pooler). They are checked for
   * presence like every other key, then deliberately not converted.
   */
  unusedKeys?(config: ModelConfig): string[];
  /**
   * Keys a checkpoint may or may not hold: buffers older library versions saved and newer ones do not (transformers
   * before 4.31 saved the `position_ids` buffers of CLIP and XLM-R; 4.31+ registers them non-persistent). Accepted
   * when present, never converted (the model computes them), never required.
   */
  legacyBufferKeys?(config: ModelConfig): string[];
}

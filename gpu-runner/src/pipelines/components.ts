import type * as tf from '@tensorflow/tfjs';
import type { PromptTokenizer } from '../tokenizers/index.js';

/**
 * The model interfaces the pipelines are written against, in this port's layouts (NHWC images and latents). Each is
 * small so pipelines can run with the real converted models (`model-adapters.ts`) or with trace-replay fakes that
 * check their inputs against the reference. Every method returns new tensors the caller owns.
 */

/** The prior's CLIP text tower (`CLIPTextModelWithProjection`), run without a padding mask, as the reference does. */
export interface PriorTextEncoder {
  /** `inputIds [B, L]` int32 -> pooled projection `[B, D]` and `last_hidden_state [B, L, D]`. */
  encode(inputIds: tf.Tensor2D): { textEmbeds: tf.Tensor2D; lastHiddenState: tf.Tensor3D };
}

/** One call of the diffusion prior (`PriorTransformer`). */
export interface PriorInputs {
  /** Noisy image embeddings `[B, D]`. */
  latents: tf.Tensor2D;
  timestep: number;
  /** CLIP text embeddings `[B, D]` (`proj_embedding`). */
  textEmbeds: tf.Tensor2D;
  /** CLIP last hidden states `[B, L, D]`. */
  textHidden: tf.Tensor3D;
  /** Tokenizer mask `[B, L]`, float 1/0. */
  textMask: tf.Tensor2D;
}

/** The diffusion prior. */
export interface PriorModel {
  /** Text length the prior was built for (`num_embeddings`): the CLIP tokenizer pads to it. */
  readonly textLength: number;
  /** Predicted clean image embedding `[B, D]` (normalized space). */
  predict(inputs: PriorInputs): tf.Tensor2D;
  /** `post_process_latents`: `x * clip_std + clip_mean`. */
  postProcess(latents: tf.Tensor2D): tf.Tensor2D;
}

/** The CLIP vision tower (`CLIPVisionModelWithProjection`). */
export interface ImageEncoder {
  /** Input side length (224 for ViT-L/14). */
  readonly imageSize: number;
  /** CLIP-normalized pixels `[B, S, S, 3]` -> `image_embeds [B, D]`. */
  encode(pixels: tf.Tensor4D): tf.Tensor2D;
}

/** The decoder's text encoder (M-CLIP: XLM-R + masked mean + Linear). */
export interface DecoderTextEncoder {
  /** `inputIds`, `attentionMask` `[B, 77]` int32 -> pooled `[B, D]` and hidden states `[B, 77, H]`. */
  encode(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): { pooled: tf.Tensor2D; hidden: tf.Tensor3D };
}

/** One call of the decoder U-Net. */
export interface UNetInputs {
  /** `[B, h, w, in_channels]` (4, or 9 for inpainting: latents, masked image latents, keep-mask). */
  sample: tf.Tensor4D;
  timestep: number;
  /** Text hidden states `[B, 77, H]`. */
  textHidden: tf.Tensor3D;
  /** Pooled text embedding `[B, D]`. */
  textEmbeds: tf.Tensor2D;
  /** Image embedding `[B, D]`. */
  imageEmbeds: tf.Tensor2D;
}

/** The decoder U-Net (`UNet2DConditionModel`). */
export interface DecoderUNet {
  readonly inChannels: number;
  readonly outChannels: number;
  /** `[B, h, w, out_channels]` (ε then learned variance). */
  predict(inputs: UNetInputs): tf.Tensor4D;
}

/** MoVQ (`VQModel`), used without quantization as every Kandinsky pipeline does. */
export interface MoVQ {
  /** Latent channels (4). */
  readonly latentChannels: number;
  /** Image `[B, H, W, 3]` in [-1, 1] -> latents `[B, H/8, W/8, 4]`. */
  encode(image: tf.Tensor4D): tf.Tensor4D;
  /** Latents -> image `[B, 8h, 8w, 3]` in about [-1, 1] (`decode(z, force_not_quantize=True)`). */
  decode(latents: tf.Tensor4D): tf.Tensor4D;
}

/** What the prior stage needs. */
export interface PriorComponents {
  tokenizer: PromptTokenizer;
  textEncoder: PriorTextEncoder;
  prior: PriorModel;
  imageEncoder: ImageEncoder;
}

/** What the decoder stage needs (`unet` is the 4- or 9-channel U-Net, depending on the task). */
export interface DecoderComponents {
  tokenizer: PromptTokenizer;
  textEncoder: DecoderTextEncoder;
  unet: DecoderUNet;
  movq: MoVQ;
}

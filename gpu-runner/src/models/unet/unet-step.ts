import * as tf from '@tensorflow/tfjs';

/** The conditioning and latents of one U-Net call (see `UNET_INPUTS` for layouts). */
export interface UNetInputs {
  /** `[B, h, w, in_channels]` NHWC latents. */
  sample: tf.Tensor4D;
  /** `[B]` float timesteps, one per batch row. */
  timestep: tf.Tensor1D;
  /** `[B, S, encoder_hid_dim]` text encoder hidden states. */
  textHidden: tf.Tensor3D;
  /** `[B, cross_attention_dim]` pooled text embedding. */
  textEmbeds: tf.Tensor2D;
  /** `[B, cross_attention_dim]` image embedding. */
  imageEmbeds: tf.Tensor2D;
}

/**
 * Runs the U-Net graph once and returns `[B, h, w, out_channels]` (the caller owns it). Checks the batch sizes agree
 * and the latent size survives the down/up path (the reference's ResNet upsamplers always double, so `h` and `w`
 * must be multiples of 2^(down blocks - 1)); every intermediate is freed.
 */
export function runUNet(model: tf.LayersModel, inputs: UNetInputs): tf.Tensor4D {
  const { sample, timestep, textHidden, textEmbeds, imageEmbeds } = inputs;
  const b = sample.shape[0];
  const rows = { timestep, textHidden, textEmbeds, imageEmbeds };
  for (const [name, t] of Object.entries(rows)) {
    if (t.shape[0] !== b) throw new Error(`runUNet: ${name} has batch ${t.shape[0]} but sample has ${b}`);
  }
  const factor = 2 ** downsamplerCount(model);
  const [, h, w] = sample.shape;
  if (h % factor !== 0 || w % factor !== 0) {
    throw new Error(`runUNet: latent ${h}x${w} must be a multiple of ${factor} in both dimensions`);
  }
  return tf.tidy(
    () => model.predict([sample, tf.reshape(timestep, [b, 1]), textHidden, textEmbeds, imageEmbeds]) as tf.Tensor4D,
  );
}

function downsamplerCount(model: tf.LayersModel): number {
  return model.layers.filter((l) => /^down_blocks\.\d+\.downsamplers\.0$/.test(l.name)).length;
}

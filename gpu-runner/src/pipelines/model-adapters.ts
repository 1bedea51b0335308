import * as tf from '@tensorflow/tfjs';
import type { LoadedComponent } from '../models/load-component.js';
import { runUNet } from '../models/unet/unet-step.js';
import type {
  DecoderTextEncoder,
  DecoderUNet,
  ImageEncoder,
  MoVQ,
  PriorModel,
  PriorTextEncoder,
} from './components.js';

/** The pipelines' view of converted components (graphs loaded by `loadComponent`). */

function graph(component: LoadedComponent, name: string, kind: string): tf.LayersModel {
  if (component.kind !== kind) throw new Error(`expected a ${kind} component, got ${component.kind}`);
  const g = component.graphs[name];
  if (!g) throw new Error(`${kind} component has no "${name}" graph (has ${Object.keys(component.graphs).join(', ')})`);
  return g;
}

function numberFromConfig(component: LoadedComponent, key: string): number {
  const v = component.config[key];
  if (typeof v !== 'number') throw new Error(`${component.kind} config has no numeric ${key}`);
  return v;
}

/** A `[B]`-row timestep column for graphs that take the timestep as an input. */
function timestepColumn(timestep: number, rows: number): tf.Tensor2D {
  return tf.fill([rows, 1], timestep) as tf.Tensor2D;
}

/** `prior_text_encoder` (CLIP text + projection): ids `[B, L]` -> `[text_embeds, last_hidden_state]`. */
export function priorTextEncoderFrom(component: LoadedComponent): PriorTextEncoder {
  const model = graph(component, 'main', 'prior_text_encoder');
  return {
    encode(inputIds) {
      const [textEmbeds, lastHiddenState] = model.predict(inputIds) as [tf.Tensor2D, tf.Tensor3D];
      return { textEmbeds, lastHiddenState };
    },
  };
}

/** `prior` (PriorTransformer): one denoising call, and `post_process_latents`. */
export function priorFrom(component: LoadedComponent): PriorModel {
  const main = graph(component, 'main', 'prior');
  const post = graph(component, 'post_process_latents', 'prior');
  return {
    textLength: numberFromConfig(component, 'num_embeddings'),
    predict({ latents, timestep, textEmbeds, textHidden, textMask }) {
      return tf.tidy(
        () =>
          main.predict([
            latents,
            timestepColumn(timestep, latents.shape[0]),
            textEmbeds,
            textHidden,
            textMask,
          ]) as tf.Tensor2D,
      );
    },
    postProcess: (latents) => post.predict(latents) as tf.Tensor2D,
  };
}

/** `image_encoder` (CLIP vision + projection): normalized pixels -> `image_embeds`. */
export function imageEncoderFrom(component: LoadedComponent): ImageEncoder {
  const model = graph(component, 'main', 'image_encoder');
  const size = model.inputs[0].shape[1];
  if (typeof size !== 'number') throw new Error('image encoder graph has no fixed input size');
  return {
    imageSize: size,
    encode(pixels) {
      return tf.tidy(() => {
        const [embeds, hidden] = model.predict(pixels) as [tf.Tensor2D, tf.Tensor];
        hidden.dispose();
        return embeds;
      });
    },
  };
}

/** `text_encoder` (M-CLIP): ids and mask -> `[pooled projection, hidden states]`. */
export function decoderTextEncoderFrom(component: LoadedComponent): DecoderTextEncoder {
  const model = graph(component, 'main', 'text_encoder');
  return {
    encode(inputIds, attentionMask) {
      const [pooled, hidden] = model.predict([inputIds, attentionMask]) as [tf.Tensor2D, tf.Tensor3D];
      return { pooled, hidden };
    },
  };
}

/** `unet` / `unet_inpaint`: one call at a scalar timestep (repeated per row). */
export function unetFrom(component: LoadedComponent): DecoderUNet {
  const model = graph(component, 'main', 'unet');
  return {
    inChannels: numberFromConfig(component, 'in_channels'),
    outChannels: numberFromConfig(component, 'out_channels'),
    predict({ sample, timestep, textHidden, textEmbeds, imageEmbeds }) {
      return tf.tidy(() => {
        const t = tf.fill([sample.shape[0]], timestep) as tf.Tensor1D;
        return runUNet(model, { sample, timestep: t, textHidden, textEmbeds, imageEmbeds });
      });
    },
  };
}

/** `movq`: the encoder and decoder graphs (the quantizer is never used by Kandinsky inference). */
export function movqFrom(component: LoadedComponent): MoVQ {
  const encoder = graph(component, 'encoder', 'movq');
  const decoder = graph(component, 'decoder', 'movq');
  return {
    latentChannels: numberFromConfig(component, 'latent_channels'),
    encode: (image) => encoder.predict(image) as tf.Tensor4D,
    decode: (latents) => decoder.predict(latents) as tf.Tensor4D,
  };
}

import * as tf from '@tensorflow/tfjs';
import { unetFrom } from '../pipelines/model-adapters.js';
import type { ComponentCheck } from './component-check.js';
import { scalarOf, toTensor } from './component-check.js';

/** The check of a U-Net component folder (`unet` or `unet_inpaint`: same graph, 4 or 9 input channels). */
export function unetCheckFor(name: 'unet' | 'unet_inpaint'): ComponentCheck {
  return {
    name,
    async run(component, inputs) {
      const unet = unetFrom(component);
      const sample = toTensor(inputs.get('sample'), 'sample', { nhwc: true }) as tf.Tensor4D;
      const textHidden = toTensor(inputs.get('encoder_hidden_states'), 'encoder_hidden_states') as tf.Tensor3D;
      const textEmbeds = toTensor(inputs.get('text_embeds'), 'text_embeds') as tf.Tensor2D;
      const imageEmbeds = toTensor(inputs.get('image_embeds'), 'image_embeds') as tf.Tensor2D;
      try {
        const ours = unet.predict({
          sample,
          timestep: scalarOf(inputs.get('timestep'), 'timestep'),
          textHidden,
          textEmbeds,
          imageEmbeds,
        });
        return [{ name: 'sample', ours, nchw: true }];
      } finally {
        tf.dispose([sample, textHidden, textEmbeds, imageEmbeds]);
      }
    },
  };
}

/**
 * The decoder U-Net (`UNet2DConditionModel`, 4 input channels) through the pipelines' adapter: one call at the
 * fixture's 0-d timestep, both rows of the guidance batch, all 8 output channels (ε and learned variance).
 */
export const unetCheck: ComponentCheck = unetCheckFor('unet');

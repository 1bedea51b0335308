import * as tf from '@tensorflow/tfjs';
import { movqFrom } from '../pipelines/model-adapters.js';
import type { ComponentCheck } from './component-check.js';
import { toTensor } from './component-check.js';
import { perturb } from './tolerance.js';

/**
 * MoVQ (`VQModel`) through the pipelines' adapter: `decode(z)` as every pipeline ends (`force_not_quantize=True`)
 * and `encode(image)` as img2img and inpainting start. The decoder is the ill-conditioned part of the model, so its
 * output is sensitivity-checked (a second decode of the latents perturbed by 1e-6 relative).
 */
export const movqCheck: ComponentCheck = {
  name: 'movq',
  async run(component, inputs) {
    const movq = movqFrom(component);
    const z = toTensor(inputs.get('decode_input_latents'), 'decode_input_latents', { nhwc: true }) as tf.Tensor4D;
    const image = toTensor(inputs.get('image'), 'image', { nhwc: true }) as tf.Tensor4D;
    const zPerturbed = perturb(z) as tf.Tensor4D;
    try {
      return [
        {
          name: 'decode_force_not_quantize.sample',
          ours: movq.decode(z),
          nchw: true,
          perturbed: movq.decode(zPerturbed),
        },
        { name: 'encode.latents', ours: movq.encode(image), nchw: true },
      ];
    } finally {
      tf.dispose([z, image, zPerturbed]);
    }
  },
};

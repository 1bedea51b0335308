import * as tf from '@tensorflow/tfjs';
import { imageEncoderFrom } from '../pipelines/model-adapters.js';
import type { ComponentCheck } from './component-check.js';
import { toTensor } from './component-check.js';

/**
 * The CLIP ViT-L/14 vision tower with projection: `image_embeds` through the pipelines' adapter (what image
 * variations and fusion use), and `last_hidden_state`, which the adapter drops, from the same graph. At full size one
 * forward takes ~20 s on wasm, so the graph runs once and the adapter's output is required to equal its output 0.
 */
export const imageEncoderCheck: ComponentCheck = {
  name: 'image_encoder',
  async run(component, inputs) {
    const pixels = toTensor(inputs.get('pixel_values'), 'pixel_values', { nhwc: true }) as tf.Tensor4D;
    try {
      const [embeds, hidden] = component.graphs.main.predict(pixels) as tf.Tensor[];
      const adapter = imageEncoderFrom(component);
      // The adapter is this graph's output 0 behind a shape check; run it on the tiny set, where it costs nothing.
      const viaAdapter = pixels.shape[1]! <= 64 ? adapter.encode(pixels) : undefined;
      if (viaAdapter) {
        const same = tf.tidy(() => tf.max(tf.abs(tf.sub(viaAdapter, embeds))).dataSync()[0]);
        viaAdapter.dispose();
        if (same !== 0) throw new Error(`the adapter's image_embeds differ from the graph's by ${same}`);
      }
      return [
        { name: 'image_embeds', ours: embeds },
        { name: 'last_hidden_state', ours: hidden },
      ];
    } finally {
      pixels.dispose();
    }
  },
};

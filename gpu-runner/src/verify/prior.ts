import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../io/safetensors.js';
import { priorFrom } from '../pipelines/model-adapters.js';
import type { ComponentCheck } from './component-check.js';
import { scalarOf, toTensor } from './component-check.js';

/** The first `rows` rows of a host tensor (batch-major). */
function firstRows(t: HostTensor | undefined, name: string, rows: number): HostTensor {
  if (!t) throw new Error(`the fixture has no input "${name}"`);
  if (t.shape.length === 0 || rows >= t.shape[0]) return t;
  const per = t.data.length / t.shape[0];
  return { ...t, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(0, rows * per) as HostTensor['data'] };
}

/**
 * The diffusion prior (`PriorTransformer`) through the pipelines' adapter: one denoising call at the fixture's
 * timestep with its padded text mask, and `post_process_latents` applied to the REFERENCE prediction (so that check
 * measures the post-processing alone, as the reference's own output was made). With `rows: 1` and a fixture that
 * offers `row0.*` outputs (the full-size prior: ~270 s per row on the pure-JS backend), only row 0 runs.
 */
export const priorCheck: ComponentCheck = {
  name: 'prior',
  async run(component, inputs, ctx) {
    const oneRow = ctx.rows === 1 && ctx.reference?.has('row0.predicted_image_embedding') === true;
    const rows = oneRow ? 1 : Number.POSITIVE_INFINITY;
    const prefix = oneRow ? 'row0.' : '';
    const take = (name: string) => firstRows(inputs.get(name), name, rows);
    const prior = priorFrom(component);
    const latents = toTensor(take('hidden_states'), 'hidden_states') as tf.Tensor2D;
    const textEmbeds = toTensor(take('proj_embedding'), 'proj_embedding') as tf.Tensor2D;
    const textHidden = toTensor(take('encoder_hidden_states'), 'encoder_hidden_states') as tf.Tensor3D;
    const textMask = toTensor(take('attention_mask'), 'attention_mask') as tf.Tensor2D;
    const reference = ctx.reference?.get(`${prefix}predicted_image_embedding`);
    const refPrediction = reference ? (toTensor(reference, 'predicted_image_embedding') as tf.Tensor2D) : undefined;
    try {
      const ours = prior.predict({
        latents,
        timestep: scalarOf(inputs.get('timestep'), 'timestep'),
        textEmbeds,
        textHidden,
        textMask,
      });
      return [
        { name: `${prefix}predicted_image_embedding`, ours },
        ...(refPrediction ? [{ name: `${prefix}post_process_latents`, ours: prior.postProcess(refPrediction) }] : []),
      ];
    } finally {
      tf.dispose([latents, textEmbeds, textHidden, textMask, ...(refPrediction ? [refPrediction] : [])]);
    }
  },
};

import { variationEmbeds } from '../fuse-stage.js';
import { clipPixels, fusedEmbeddings, owned, type PreparedOf, recordedParameters, type TaskPlan } from './task-plan.js';

/**
 * Variation: the decoder from the input image's CLIP embedding. With a negative prompt the image goes through the
 * prior's interpolation (one item of weight 1) so the negative is the prior's sample for that prompt; without one the
 * embedding is used as is (no prior run) and the negative is the zero-image embedding.
 */
export function variationPlan({ task, params }: PreparedOf<'variation'>): TaskPlan {
  const { image, ...recorded } = params;
  return {
    parameters: recordedParameters(task, recorded),
    async imageEmbeddings(run) {
      const pixels = clipPixels(run, image);
      if (!params.negative_prompt) {
        const result = variationEmbeds(run.models.prior, pixels, params.n);
        run.control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });
        return owned(run, result);
      }
      return fusedEmbeddings(run, params, [{ type: 'image', pixels, weight: 1 }]);
    },
    decoderConditioning: () => ({ prompt: params.prompt ?? '' }),
  };
}

import { type FuseItem, runFusePrior } from '../fuse-stage.js';
import {
  clipPixels,
  fuseNegative,
  owned,
  type PreparedOf,
  priorSettings,
  recordedParameters,
  type TaskPlan,
} from './task-plan.js';

/**
 * Fuse (diffusers `KandinskyPriorPipeline.interpolate`): the weighted mix of the prior's embeddings of the text items
 * and the CLIP embeddings of the image items, then the decoder with no text ("").
 */
export function fusePlan({ task, params }: PreparedOf<'fuse'>): TaskPlan {
  const { inputs, ...recorded } = params;
  return {
    // Image inputs are recorded by weight only (no image data in the metadata).
    parameters: {
      ...recordedParameters(task, recorded),
      inputs: inputs.map((item) => (item.type === 'text' ? item : { type: 'image', weight: item.weight })),
    },
    async imageEmbeddings(run) {
      const items: FuseItem[] = inputs.map((item) =>
        item.type === 'text' ? item : { type: 'image', pixels: clipPixels(run, item.image), weight: item.weight },
      );
      const request = { ...priorSettings(run, params), items, ...fuseNegative(params.negative_prompt) };
      return owned(run, await runFusePrior(run.models.prior, request, run.control));
    },
    decoderConditioning: () => ({ prompt: '' }),
  };
}

import type { FuseItem } from '../fuse-stage.js';
import { clipPixels, fusedEmbeddings, type PreparedOf, recordedParameters, type TaskPlan } from './task-plan.js';

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
    imageEmbeddings(run) {
      const items: FuseItem[] = inputs.map((item) =>
        item.type === 'text' ? item : { type: 'image', pixels: clipPixels(run, item.image), weight: item.weight },
      );
      return fusedEmbeddings(run, params, items);
    },
    decoderConditioning: () => ({ prompt: '' }),
  };
}

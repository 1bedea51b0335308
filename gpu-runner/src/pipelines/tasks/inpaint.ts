import { prepareKeepMaskFromImage } from '../../image/index.js';
import { initImage, type PreparedOf, promptEmbeddings, recordedParameters, type TaskPlan } from './task-plan.js';

/**
 * Inpainting (diffusers `KandinskyInpaintCombinedPipeline`): the prior from the prompt, then the 9-channel U-Net
 * repaints the masked area of the input image (white = repaint).
 */
export function inpaintPlan({ task, params }: PreparedOf<'inpaint'>): TaskPlan {
  const { image, mask, ...recorded } = params;
  return {
    parameters: recordedParameters(task, recorded),
    imageEmbeddings: (run) => promptEmbeddings(run, params),
    decoderConditioning: (run) => ({
      prompt: params.prompt,
      inpaint: {
        image: initImage(run, image, params.width, params.height),
        keepMask: prepareKeepMaskFromImage(mask, params.width, params.height),
      },
    }),
  };
}

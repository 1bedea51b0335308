import { initImage, type PreparedOf, promptEmbeddings, recordedParameters, type TaskPlan } from './task-plan.js';

/**
 * img2img (diffusers `KandinskyImg2ImgCombinedPipeline`): the prior from the prompt, then the decoder from the input
 * image noised by `strength`.
 */
export function img2imgPlan({ task, params }: PreparedOf<'img2img'>): TaskPlan {
  const { image, ...recorded } = params;
  return {
    parameters: recordedParameters(task, recorded),
    imageEmbeddings: (run) => promptEmbeddings(run, params),
    decoderConditioning: (run) => ({
      prompt: params.prompt,
      img2img: { image: initImage(run, image, params.width, params.height), strength: params.strength },
    }),
  };
}

import { type PreparedOf, promptEmbeddings, recordedParameters, type TaskPlan } from './task-plan.js';

/** text2image (diffusers `KandinskyCombinedPipeline`): the prior from the prompt, then the decoder from noise. */
export function text2imagePlan({ task, params }: PreparedOf<'text2image'>): TaskPlan {
  return {
    parameters: recordedParameters(task, params),
    imageEmbeddings: (run) => promptEmbeddings(run, params),
    decoderConditioning: () => ({ prompt: params.prompt }),
  };
}

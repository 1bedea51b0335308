import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from '../../random/noise-source.js';
import { RowBlockNoise } from '../../random/row-block-noise.js';
import { type BatchShape, batchShape } from '../batch-shape.js';
import { PipelineParamError } from '../pipeline-errors.js';
import { priorScheduler } from '../pipeline-models.js';
import { runPriorBatch } from '../prior-stage.js';
import type { PreparedOf, PreparedRequest, TaskSteps } from './task-plan.js';

/**
 * The requests of a batch as text2image requests of one {@link BatchShape}; refuses, before any compute, a batch
 * that breaks the rule, naming the field.
 */
export function batchableRequests(requests: readonly PreparedRequest[]): PreparedOf<'text2image'>[] {
  const reference = batchShape(requests[0]);
  const batchable: PreparedOf<'text2image'>[] = [];
  for (const [r, request] of requests.entries()) {
    const shape = batchShape(request);
    if (!reference || !shape || request.task !== 'text2image') {
      throw new PipelineParamError('task', `only text2image requests can be batched, request ${r} is ${request.task}`);
    }
    for (const key of Object.keys(reference) as (keyof BatchShape)[]) {
      if (shape[key] !== reference[key]) {
        throw new PipelineParamError(
          key,
          `differs within the batch (request 0: ${JSON.stringify(reference[key])}, request ${r}: ${JSON.stringify(shape[key])}); only equal-shaped requests run as one pass`,
        );
      }
    }
    batchable.push(request);
  }
  return batchable;
}

/**
 * Several text2image requests as one pass: one prior run for every image row (each request's rows drawn from its own
 * noise), and one decoder run with each request's prompt and noise over its rows, so each image is the one its
 * request would give alone. Returns the steps and the decoder's noise (each request's source over its rows).
 */
export function text2imageBatch(
  requests: readonly PreparedOf<'text2image'>[],
  noises: readonly NoiseSource[],
): { steps: TaskSteps; noise: NoiseSource } {
  const [first] = requests;
  return {
    noise: new RowBlockNoise(requests.map(({ params }, r) => ({ source: noises[r], rows: params.n }))),
    steps: {
      async imageEmbeddings(run) {
        const perRequest = await runPriorBatch(
          run.models.prior,
          {
            items: requests.map(({ params }, r) => ({
              prompt: params.prompt,
              negativePrompt: params.negative_prompt,
              imagesPerPrompt: params.n,
              noise: noises[r],
            })),
            steps: first.params.prior_steps,
            guidanceScale: first.params.prior_guidance_scale,
            scheduler: priorScheduler(run.models),
          },
          run.control,
        );
        for (const r of perRequest) run.owned.push(r.imageEmbeds, r.negativeImageEmbeds);
        const imageEmbeds = tf.concat(perRequest.map((r) => r.imageEmbeds));
        run.owned.push(imageEmbeds);
        const negativeImageEmbeds = tf.concat(perRequest.map((r) => r.negativeImageEmbeds));
        run.owned.push(negativeImageEmbeds);
        return { imageEmbeds, negativeImageEmbeds };
      },
      decoderConditioning: () => ({
        prompt: requests.map(({ params }) => ({ prompt: params.prompt, rows: params.n })),
      }),
    },
  };
}

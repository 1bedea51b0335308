import type { ResolvedGeneration, Task } from '@kandinsky/protocol';
import type * as tf from '@tensorflow/tfjs';
import { clipImagesToTensor, initImagesToTensor, type Raster } from '../../image/index.js';
import type { NoiseSource } from '../../random/noise-source.js';
import type { DecoderRequest, Img2ImgInput, InpaintInput } from '../decoder-stage.js';
import { type FuseItem, runFusePrior } from '../fuse-stage.js';
import { type PipelineModels, priorScheduler } from '../pipeline-models.js';
import { type PriorResult, runPrior } from '../prior-stage.js';
import type { RunControl } from '../progress.js';

/** A request ready to run: resolved by the contract, its input images decoded (see `prepareRequest`). */
export type PreparedRequest = ResolvedGeneration<Raster>;

/** The prepared request of one task. */
export type PreparedOf<T extends Task> = Extract<PreparedRequest, { task: T }>;

/**
 * What a task's steps share within one run: the models, the run's noise (the prior's draws, then the decoder's),
 * progress and cancellation, and the tensors the run releases when it ends (every task step adds what it makes).
 */
export interface TaskRun {
  models: PipelineModels;
  noise: NoiseSource;
  control: RunControl;
  owned: tf.Tensor[];
}

/** How a task conditions the decoder beyond the image embeddings. */
export interface DecoderConditioning {
  /**
   * The decoder's text, or each request's over its rows in a batch (the combined pipelines never pass the negative
   * prompt to the decoder: its unconditional text is "").
   */
  prompt: DecoderRequest['prompt'];
  img2img?: Img2ImgInput;
  inpaint?: InpaintInput;
}

/**
 * One task's part of a generation, as diffusers' combined Kandinsky pipelines split it: the prior side (image
 * embeddings) and what the decoder starts from. The decoder loop, MoVQ and encoding are the same for every task.
 */
export interface TaskSteps {
  /** Image embeddings and negatives, one row per output image; called first (the prior draws noise first). */
  imageEmbeddings(run: TaskRun): Promise<PriorResult>;
  /** The decoder's text and starting image; called after {@link imageEmbeddings}. */
  decoderConditioning(run: TaskRun): DecoderConditioning;
}

/** A request's {@link TaskSteps} and what its images record. */
export interface TaskPlan extends TaskSteps {
  /** The parameters recorded in each image's metadata. */
  readonly parameters: Record<string, unknown>;
}

/** The parameters every task shares with the prior: image count, prior steps and guidance. */
type PriorParams = Pick<PreparedRequest['params'], 'n' | 'prior_steps' | 'prior_guidance_scale'>;

/** The prior settings of a run of `params`, with a fresh UnCLIP scheduler. */
function priorSettings(run: TaskRun, params: PriorParams) {
  return {
    imagesPerPrompt: params.n,
    steps: params.prior_steps,
    guidanceScale: params.prior_guidance_scale,
    noise: run.noise,
    scheduler: priorScheduler(run.models),
  };
}

/** Hands a prior result's tensors to the run, which releases them when it ends. */
export function owned(run: TaskRun, result: PriorResult): PriorResult {
  run.owned.push(result.imageEmbeds, result.negativeImageEmbeds);
  return result;
}

/** The prior from a prompt (text2image, img2img, inpaint); a negative prompt is the prior's unconditional text. */
export async function promptEmbeddings(
  run: TaskRun,
  params: PriorParams & { prompt: string; negative_prompt?: string },
): Promise<PriorResult> {
  const request = { ...priorSettings(run, params), prompt: params.prompt, negativePrompt: params.negative_prompt };
  return owned(run, await runPrior(run.models.prior, request, run.control));
}

/**
 * The prior's weighted mix of `items` (diffusers `KandinskyPriorPipeline.interpolate`), as fuse and variation with a
 * negative prompt run it. A negative prompt is what interpolate takes as `negative_prompt` and `negative_prior_prompt`:
 * each prior run's unconditional text, and the negative image embedding is the prior's sample for it. Without one (or
 * with an empty one) the negative is the zero-image embedding.
 */
export async function fusedEmbeddings(
  run: TaskRun,
  params: PriorParams & { negative_prompt?: string },
  items: FuseItem[],
): Promise<PriorResult> {
  const negative = params.negative_prompt
    ? { negativePrompt: params.negative_prompt, negativePriorPrompt: params.negative_prompt }
    : {};
  const request = { ...priorSettings(run, params), items, ...negative };
  return owned(run, await runFusePrior(run.models.prior, request, run.control));
}

/** An input image as the CLIP image encoder takes it, owned by the run. */
export function clipPixels(run: TaskRun, raster: Raster): tf.Tensor4D {
  const pixels = clipImagesToTensor([raster], run.models.clipConfig);
  run.owned.push(pixels);
  return pixels;
}

/** An input image at the output size, in [-1, 1], as img2img and inpainting start from it; owned by the run. */
export function initImage(run: TaskRun, raster: Raster, width: number, height: number): tf.Tensor4D {
  const tensor = initImagesToTensor([raster], width, height);
  run.owned.push(tensor);
  return tensor;
}

/**
 * The parameters recorded in each image's metadata: the task's parameters without image data (the caller leaves its
 * images out) and without preview steps (previews do not change the image, so an image is the same file with or
 * without them).
 */
export function recordedParameters(
  task: Task,
  params: { preview_steps?: readonly number[] } & Record<string, unknown>,
): Record<string, unknown> {
  const { preview_steps: _previews, ...rest } = params;
  return { model: 'kandinsky-2.1', task, ...rest };
}

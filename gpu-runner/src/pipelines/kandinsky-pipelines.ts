import * as tf from '@tensorflow/tfjs';
import { imageTensorToRasters, type Raster } from '../image/index.js';
import type { LoadOptions } from '../models/load-component.js';
import { denoiseLatents, type LatentPreviews } from './decoder-stage.js';
import {
  encodeImages,
  type GeneratedImage,
  type GenerateOptions,
  type GenerationResult,
  type ImageOutput,
} from './generated-images.js';
import { type GenerationParams, type GenerationRequest, planGeneration } from './generation-request.js';
import { imageSeeds, seededNoise } from './image-seeds.js';
import { PipelineParamError } from './pipeline-errors.js';
import { decoderScheduler, loadPipelineModels, type PipelineModels } from './pipeline-models.js';
import { type PreparedGeneration, prepareRequest } from './prepare-request.js';
import { type GenerationStage, type RunControl, throwIfCancelled } from './progress.js';
import { StageTimings } from './stage-timings.js';
import type { PreparedRequest, TaskRun, TaskSteps } from './tasks/task-plan.js';
import { taskPlan } from './tasks/task-plans.js';
import { batchableRequests, text2imageBatch } from './tasks/text2image-batch.js';

export type {
  GeneratedImage,
  GeneratedPreview,
  GenerateOptions,
  GenerationResult,
} from './generated-images.js';
export type { PreparedGeneration } from './prepare-request.js';
export type { PreparedRequest } from './tasks/task-plan.js';

/**
 * The five Kandinsky 2.1 generation tasks over a converted model folder: `text2image` (prior + decoder),
 * `variation` (CLIP image embedding + decoder), `fuse` (weighted prompts and images + decoder), `img2img` and
 * `inpaint`, one module each (`tasks/`) composed here with the decoder loop, MoVQ and encoding they share. A request
 * is checked against the one request contract and its images decoded ({@link prepare}) before any compute; image `i`
 * is seeded with `imageSeed(seed, i)` (one noise stream per image shared by prior and decoder, as the reference's
 * combined pipelines share one generator); progress is reported per step and an AbortSignal cancels between steps.
 * Outputs carry the parameters in the file's metadata. Every tensor of a generation is released when it ends, failed,
 * cancelled or not.
 */
export class KandinskyPipelines {
  /** Composes loaded models (see `loadPipelineModels`; {@link load} does both). The pipelines own them from here. */
  constructor(private readonly models: PipelineModels) {}

  /** Loads a converted model folder (see `loadPipelineModels`). */
  static async load(root: string, opts: LoadOptions = {}): Promise<KandinskyPipelines> {
    return new KandinskyPipelines(await loadPipelineModels(root, opts));
  }

  /** Whether inpainting is available (the folder has `unet_inpaint`). */
  get canInpaint(): boolean {
    return this.models.unets.inpaint !== undefined;
  }

  /** Makes a resolved request ready to run, before any compute (see `prepareRequest`). */
  prepare(request: GenerationRequest): Promise<PreparedGeneration> {
    return prepareRequest(request, this.canInpaint);
  }

  /** Checks `params` against the contract, prepares and generates them (see {@link run}). */
  async generate(params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const [result] = await this.run([await this.prepare(planGeneration(params))], opts);
    return result;
  }

  /** {@link generate} for several requests in one pass (see {@link run}); all are checked before any compute. */
  async generateMany(paramsList: readonly GenerationParams[], opts: GenerateOptions = {}): Promise<GenerationResult[]> {
    const requests = paramsList.map((params) => planGeneration(params));
    const prepared: PreparedGeneration[] = [];
    for (const request of requests) prepared.push(await this.prepare(request));
    return this.run(prepared, opts);
  }

  /**
   * Generates prepared requests. Several run as one pass when they share a non-null batch key (text2image requests
   * of one `BatchShape`): the prior and the U-Net run once per step for all of them (guidance batch included) and
   * MoVQ decodes them together; each image is the one its request would give alone (its noise comes from its own
   * source). Prompts, negative prompts, seeds, `n` and output formats may differ. Progress is reported once per step
   * for the whole batch and the signal cancels all of it. Returns one result per request, in order; `timingsMs` are
   * the batch's.
   */
  async run(batch: readonly PreparedGeneration[], opts: GenerateOptions = {}): Promise<GenerationResult[]> {
    if (batch.length === 0) throw new PipelineParamError('requests', 'needs at least one request');
    const requests = batch.map((item) => item.request);
    const batched = requests.length > 1 ? batchableRequests(requests) : undefined;
    const timings = new StageTimings(opts.onProgress);
    const control: RunControl = { signal: opts.signal, onProgress: timings.onProgress };
    const seeds = requests.map((request) => imageSeeds(request.params));
    const noises = requests.map((request, r) => (opts.noise ? opts.noise(request.params.n, r) : seededNoise(seeds[r])));
    const plans = requests.map(taskPlan);
    const outputs = requests.map(
      (request, r): ImageOutput => ({ format: request.params.output_format, seeds: seeds[r] }),
    );
    const owned: tf.Tensor[] = [];
    try {
      const { steps, noise } = batched ? text2imageBatch(batched, noises) : { steps: plans[0], noise: noises[0] };
      const run: TaskRun = { models: this.models, noise, control, owned };
      const previews = this.previews(requests[0], outputs, timings, opts.onPreview);
      const image = await this.generateImages(requests[0], steps, run, previews);
      const rasters = await imageTensorToRasters(image);
      const images = await encodeImages(
        rasters,
        outputs.map((output, r) => ({ ...output, parameters: plans[r].parameters })),
      );
      timings.finish();
      return images.map((requestImages, r) => ({
        images: requestImages,
        timingsMs: timings.ms,
        parameters: plans[r].parameters,
      }));
    } finally {
      tf.dispose(owned);
    }
  }

  /** Releases every loaded component. */
  dispose(): void {
    this.models.dispose();
  }

  /**
   * A task's steps, then the decoder: U-Net denoising from the embeddings (img2img and inpainting from the image),
   * then MoVQ. `request` gives the decoder's settings (a batch shares them).
   */
  private async generateImages(
    request: PreparedRequest,
    steps: TaskSteps,
    run: TaskRun,
    previews: LatentPreviews | undefined,
  ): Promise<tf.Tensor4D> {
    const p = request.params;
    const embeds = await steps.imageEmbeddings(run);
    const conditioning = steps.decoderConditioning(run);
    const unet = conditioning.inpaint ? this.models.unets.inpaint : this.models.unets.text2image;
    if (!unet)
      throw new PipelineParamError('task', 'inpainting needs the unet_inpaint component', { code: 'unsupported_task' });
    const scheduler = decoderScheduler(this.models, p.scheduler);
    try {
      const latents = await denoiseLatents(
        { ...this.models.decoder, unet },
        {
          ...conditioning,
          imageEmbeds: embeds.imageEmbeds,
          negativeImageEmbeds: embeds.negativeImageEmbeds,
          height: p.height,
          width: p.width,
          steps: p.steps,
          guidanceScale: p.guidance_scale,
          scheduler,
          noise: run.noise,
          previews,
        },
        run.control,
      );
      run.owned.push(latents);
      throwIfCancelled(run.control, 'movq' satisfies GenerationStage);
      const image = this.models.decoder.movq.decode(latents);
      run.owned.push(image);
      run.control.onProgress?.({ stage: 'movq', step: 1, totalSteps: 1 });
      return image;
    } finally {
      scheduler.dispose();
    }
  }

  /**
   * The previews of a run, when it asks for them and someone listens: at each preview step, the step's predicted
   * clean latents through the same MoVQ decode and encoding as the final images, handed out per request. A batch
   * shares its preview steps (they are part of the batch key), so the first request's are the batch's.
   */
  private previews(
    first: PreparedRequest,
    outputs: readonly ImageOutput[],
    timings: StageTimings,
    onPreview: GenerateOptions['onPreview'],
  ): LatentPreviews | undefined {
    const previewSteps = first.params.preview_steps;
    if (!previewSteps || !onPreview) return undefined;
    return {
      steps: new Set(previewSteps),
      onLatents: (step, totalSteps, latents) =>
        timings.preview(async () => {
          const perRequest = await this.previewImages(latents, outputs);
          for (const [request, images] of perRequest.entries()) await onPreview({ request, step, totalSteps, images });
        }),
    };
  }

  /** Decodes a step's predicted clean latents and encodes them per request (no metadata). */
  private async previewImages(latents: tf.Tensor4D, outputs: readonly ImageOutput[]): Promise<GeneratedImage[][]> {
    const decoded = this.models.decoder.movq.decode(latents);
    let rasters: Raster[];
    try {
      rasters = await imageTensorToRasters(decoded);
    } finally {
      decoded.dispose();
    }
    return encodeImages(rasters, outputs);
  }
}

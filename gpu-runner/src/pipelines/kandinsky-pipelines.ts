import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CLIP_IMAGE_PROCESSOR_DEFAULTS,
  type ClipImageProcessorConfig,
  clipImagesToTensor,
  decodeImage,
  encodeImage,
  imageTensorToRasters,
  initImagesToTensor,
  OUTPUT_CONTENT_TYPES,
  parseClipImageProcessorConfig,
  prepareKeepMaskFromImage,
  type Raster,
} from '../image/index.js';
import { type LoadedComponent, type LoadOptions, loadComponent } from '../models/load-component.js';
import type { NoiseSource } from '../random/noise-source.js';
import { PerImageNoise } from '../random/per-image-noise.js';
import { RowBlockNoise } from '../random/row-block-noise.js';
import { SeededNoise } from '../random/seeded-noise.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import type { RawSchedulerConfig } from '../schedulers/scheduler-config.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer, type PromptTokenizer } from '../tokenizers/index.js';
import type { DecoderComponents, PriorComponents } from './components.js';
import { type DecoderRequest, denoiseLatents } from './decoder-stage.js';
import { type FuseItem, runFusePrior, variationEmbeds } from './fuse-stage.js';
import { type GenerationParams, type GenerationPlan, planGeneration } from './generation-request.js';
import {
  decoderTextEncoderFrom,
  imageEncoderFrom,
  movqFrom,
  priorFrom,
  priorTextEncoderFrom,
  unetFrom,
} from './model-adapters.js';
import { PipelineParamError } from './pipeline-errors.js';
import { type PriorResult, runPrior, runPriorBatch } from './prior-stage.js';
import { type GenerationStage, type RunControl, throwIfCancelled } from './progress.js';

/** Component folders of a converted model folder (see `convertModelFolder`). */
const COMPONENT_FOLDERS = [
  'prior_text_encoder',
  'prior',
  'image_encoder',
  'text_encoder',
  'unet',
  'unet_inpaint',
  'movq',
] as const;
type ComponentFolder = (typeof COMPONENT_FOLDERS)[number];
/** `unet_inpaint` is optional: without it inpainting requests are refused. */
const OPTIONAL: readonly ComponentFolder[] = ['unet_inpaint'];

/** One generated image, encoded. */
export interface GeneratedImage {
  bytes: Uint8Array;
  width: number;
  height: number;
  contentType: string;
  /** The seed that reproduces this image alone (`seed + index`). */
  seed: number;
}

/** A finished generation. */
export interface GenerationResult {
  images: GeneratedImage[];
  /** Wall time per stage: `encode` (text/image encoders), `prior`, `decoder`, `movq`, plus `total`. */
  timingsMs: Record<string, number>;
  /** The validated parameters, as recorded in each image's metadata. */
  parameters: Record<string, unknown>;
}

/** Options of one generation. */
export interface GenerateOptions extends RunControl {
  /**
   * Replaces the seeded noise (image i: `SeededNoise(seed + i)`), e.g. to inject saved reference draws. Receives the
   * image count (and, in {@link KandinskyPipelines.generateMany}, the request's index); the returned source serves
   * that request's whole run (prior, then decoder).
   */
  noise?: (n: number, request: number) => NoiseSource;
}

/**
 * The five Kandinsky 2.1 generation tasks over a converted model folder: `text2image` (prior + decoder),
 * `variation` (CLIP image embedding + decoder), `fuse` (weighted prompts and images + decoder), `img2img` and
 * `inpaint`. Requests are validated before any compute; each image `i` is seeded with `seed + i` (one noise stream
 * per image shared by prior and decoder, as the reference's combined pipelines share one generator); progress is
 * reported per step and an AbortSignal cancels between steps. Outputs are PNG (or JPEG) with the parameters in the
 * file's metadata. Every tensor of a generation is released when it ends, cancelled or not.
 */
export class KandinskyPipelines {
  private constructor(
    private readonly loaded: Partial<Record<ComponentFolder, LoadedComponent>>,
    private readonly prior: PriorComponents,
    private readonly decoder: Omit<DecoderComponents, 'unet'>,
    private readonly unets: { text2image: DecoderComponents['unet']; inpaint?: DecoderComponents['unet'] },
    private readonly clipConfig: ClipImageProcessorConfig,
    private readonly schedulerConfigs: Partial<Record<'ddim' | 'ddpm' | 'unclip', RawSchedulerConfig>>,
  ) {}

  /**
   * Loads `<root>/<component>/component.json` for every component (`unet_inpaint` optional), the tokenizers
   * (`tokenizer/` XLM-R, `prior_tokenizer/` CLIP), and, when present, `image_processor/preprocessor_config.json` and
   * the scheduler configs (`scheduler/`, `ddpm_scheduler/`, `prior_scheduler/`).
   */
  static async load(root: string, opts: LoadOptions = {}): Promise<KandinskyPipelines> {
    const loaded: Partial<Record<ComponentFolder, LoadedComponent>> = {};
    try {
      for (const name of COMPONENT_FOLDERS) {
        if (OPTIONAL.includes(name) && !existsSync(join(root, name, 'component.json'))) continue;
        loaded[name] = await loadComponent(join(root, name), opts);
      }
      const get = (name: ComponentFolder) => loaded[name] as LoadedComponent;
      const priorModel = priorFrom(get('prior'));
      const clipTokenizer = await loadClipTokenizer(join(root, 'prior_tokenizer'), {
        maxLength: priorModel.textLength,
      });
      const xlmrTokenizer = await loadXlmRobertaTokenizer(join(root, 'tokenizer'));
      const processor = await readJson(join(root, 'image_processor', 'preprocessor_config.json'));
      return new KandinskyPipelines(
        loaded,
        {
          tokenizer: clipTokenizer,
          textEncoder: priorTextEncoderFrom(get('prior_text_encoder')),
          prior: priorModel,
          imageEncoder: imageEncoderFrom(get('image_encoder')),
        },
        {
          tokenizer: xlmrTokenizer as PromptTokenizer,
          textEncoder: decoderTextEncoderFrom(get('text_encoder')),
          movq: movqFrom(get('movq')),
        },
        { text2image: unetFrom(get('unet')), inpaint: loaded.unet_inpaint ? unetFrom(loaded.unet_inpaint) : undefined },
        processor ? parseClipImageProcessorConfig(processor) : CLIP_IMAGE_PROCESSOR_DEFAULTS,
        {
          ddim: await readJson(join(root, 'scheduler', 'scheduler_config.json')),
          ddpm: await readJson(join(root, 'ddpm_scheduler', 'scheduler_config.json')),
          unclip: await readJson(join(root, 'prior_scheduler', 'scheduler_config.json')),
        },
      );
    } catch (err) {
      for (const c of Object.values(loaded)) c?.dispose();
      throw err;
    }
  }

  /** Whether inpainting is available (the folder has `unet_inpaint`). */
  get canInpaint(): boolean {
    return this.unets.inpaint !== undefined;
  }

  /** Validates `params` (throwing {@link PipelineParamError} before any compute) and generates the images. */
  async generate(params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const [result] = await this.generateMany([params], opts);
    return result;
  }

  /**
   * Generates several requests in one pass: every request is validated first (throwing {@link PipelineParamError}
   * before any compute), then their images are stacked into one batch, so the prior and the U-Net run once per step
   * for all of them (guidance batch included) and MoVQ decodes them together. Each image is the one its request
   * would give alone (its noise comes from its own `seed + i` source). Batching needs text2image requests with equal
   * {@link computeShape}: size, steps, guidance, prior steps and guidance, scheduler, and a negative prompt in all or
   * none; prompts, negative prompts, seeds, `n` and output formats may differ. Progress is reported once per step for
   * the whole batch and the signal cancels all of it. Returns one result per request, in order; `timingsMs` are the
   * batch's.
   */
  async generateMany(paramsList: readonly GenerationParams[], opts: GenerateOptions = {}): Promise<GenerationResult[]> {
    if (paramsList.length === 0) throw new PipelineParamError('requests', 'needs at least one request');
    const plans = paramsList.map((params) => planGeneration(params));
    if (plans.length > 1) checkBatchable(plans);
    const [first] = plans;
    if (first.task === 'inpaint' && !this.unets.inpaint) {
      throw new PipelineParamError(
        'task',
        'inpainting needs the unet_inpaint component, which this model folder lacks',
      );
    }
    const inputs = plans.length === 1 ? await this.decodeInputs(first) : { fuse: [] };
    const started = performance.now();
    const timings: Record<string, number> = {};
    let last = started;
    const control: RunControl = {
      signal: opts.signal,
      onProgress: (event) => {
        const now = performance.now();
        timings[event.stage] = (timings[event.stage] ?? 0) + (now - last);
        last = now;
        opts.onProgress?.(event);
      },
    };
    const noises = plans.map((plan, r) =>
      opts.noise
        ? opts.noise(plan.n, r)
        : new PerImageNoise(Array.from({ length: plan.n }, (_, i) => new SeededNoise(plan.seed + i))),
    );
    const owned: tf.Tensor[] = [];
    try {
      let image: tf.Tensor4D;
      if (plans.length === 1) {
        const embeds = await this.imageEmbeddings(first, inputs, noises[0], control, owned);
        image = await this.decode(first, inputs, embeds, noises[0], control, owned);
      } else {
        image = await this.text2imageBatch(plans, noises, control, owned);
      }
      const rasters = await imageTensorToRasters(image);
      const results: GenerationResult[] = [];
      let row = 0;
      for (const plan of plans) {
        const parameters = describe(plan);
        const images: GeneratedImage[] = [];
        for (let i = 0; i < plan.n; i++) {
          const raster = rasters[row++];
          images.push({
            bytes: await encodeImage(raster, plan.outputFormat, { parameters: { ...parameters, seed: plan.seed + i } }),
            width: raster.width,
            height: raster.height,
            contentType: OUTPUT_CONTENT_TYPES[plan.outputFormat],
            seed: plan.seed + i,
          });
        }
        results.push({ images, timingsMs: timings, parameters });
      }
      timings.total = performance.now() - started;
      return results;
    } finally {
      tf.dispose(owned);
    }
  }

  /** Releases every loaded component. */
  dispose(): void {
    for (const c of Object.values(this.loaded)) c?.dispose();
  }

  /** Decodes and checks input images before any model runs. */
  private async decodeInputs(plan: GenerationPlan): Promise<DecodedInputs> {
    const image = plan.image ? await decodeParam('image', plan.image) : undefined;
    const mask = plan.mask ? await decodeParam('mask', plan.mask) : undefined;
    if (image && mask && (image.width !== mask.width || image.height !== mask.height)) {
      throw new PipelineParamError(
        'mask',
        `is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}`,
      );
    }
    const fuse: (Raster | undefined)[] = [];
    for (const [i, item] of plan.inputs.entries()) {
      fuse.push(item.type === 'image' ? await decodeParam(`inputs[${i}].image`, item.image) : undefined);
    }
    return { image, mask, fuse };
  }

  private async imageEmbeddings(
    plan: GenerationPlan,
    inputs: DecodedInputs,
    noise: NoiseSource,
    control: RunControl,
    owned: tf.Tensor[],
  ): Promise<PriorResult> {
    const prior = {
      imagesPerPrompt: plan.n,
      steps: plan.priorSteps,
      guidanceScale: plan.priorGuidanceScale,
      noise,
      scheduler: this.priorScheduler(),
    };
    let result: PriorResult;
    // A negative prompt reaches the prior as in the reference's combined pipelines: it is each prior run's
    // unconditional text, and the negative image embedding is the prior's sample for it (interpolate's
    // `negative_prompt` / `negative_prior_prompt`). Without one, the negative is the zero-image embedding.
    const negative = plan.negativePrompt
      ? { negativePrompt: plan.negativePrompt, negativePriorPrompt: plan.negativePrompt }
      : {};
    if (plan.task === 'variation' && !plan.negativePrompt) {
      const pixels = clipImagesToTensor([inputs.image as Raster], this.clipConfig);
      owned.push(pixels);
      result = variationEmbeds(this.prior, pixels, plan.n);
      control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });
    } else if (plan.task === 'variation' || plan.task === 'fuse') {
      const sources =
        plan.task === 'variation'
          ? [{ type: 'image' as const, image: plan.image as Uint8Array, weight: 1 }]
          : plan.inputs;
      const rasters = plan.task === 'variation' ? [inputs.image] : inputs.fuse;
      const items: FuseItem[] = sources.map((item, i) => {
        if (item.type === 'text') return item;
        const pixels = clipImagesToTensor([rasters[i] as Raster], this.clipConfig);
        owned.push(pixels);
        return { type: 'image', pixels, weight: item.weight };
      });
      result = await runFusePrior(this.prior, { ...prior, items, ...negative }, control);
    } else {
      result = await runPrior(
        this.prior,
        { ...prior, prompt: plan.prompt, negativePrompt: plan.negativePrompt },
        control,
      );
    }
    owned.push(result.imageEmbeds, result.negativeImageEmbeds);
    return result;
  }

  private async decode(
    plan: GenerationPlan,
    inputs: DecodedInputs,
    embeds: PriorResult,
    noise: NoiseSource,
    control: RunControl,
    owned: tf.Tensor[],
    prompt: DecoderRequest['prompt'] = plan.prompt,
  ): Promise<tf.Tensor4D> {
    const initImage =
      inputs.image && (plan.task === 'img2img' || plan.task === 'inpaint')
        ? initImagesToTensor([inputs.image], plan.width, plan.height)
        : undefined;
    if (initImage) owned.push(initImage);
    const keepMask =
      plan.task === 'inpaint' ? prepareKeepMaskFromImage(inputs.mask as Raster, plan.width, plan.height) : undefined;
    const scheduler = createScheduler(
      plan.scheduler,
      plan.scheduler === 'dpmpp_2m' ? this.schedulerConfigs.ddim : this.schedulerConfigs[plan.scheduler],
    );
    try {
      const unet = plan.task === 'inpaint' ? (this.unets.inpaint as DecoderComponents['unet']) : this.unets.text2image;
      const latents = await denoiseLatents(
        { ...this.decoder, unet },
        {
          // The combined pipelines never pass the negative prompt to the decoder: its unconditional text is "".
          prompt,
          imageEmbeds: embeds.imageEmbeds,
          negativeImageEmbeds: embeds.negativeImageEmbeds,
          height: plan.height,
          width: plan.width,
          steps: plan.steps,
          guidanceScale: plan.guidanceScale,
          scheduler,
          noise,
          img2img: plan.task === 'img2img' ? { image: initImage as tf.Tensor4D, strength: plan.strength } : undefined,
          inpaint:
            plan.task === 'inpaint'
              ? { image: initImage as tf.Tensor4D, keepMask: keepMask as Float32Array }
              : undefined,
        },
        control,
      );
      owned.push(latents);
      throwIfCancelled(control, 'movq' satisfies GenerationStage);
      const image = this.decoder.movq.decode(latents);
      owned.push(image);
      control.onProgress?.({ stage: 'movq', step: 1, totalSteps: 1 });
      return image;
    } finally {
      scheduler.dispose();
    }
  }

  /** Text2image for several batchable plans: one prior pass, one decoder pass, one MoVQ decode. */
  private async text2imageBatch(
    plans: readonly GenerationPlan[],
    noises: readonly NoiseSource[],
    control: RunControl,
    owned: tf.Tensor[],
  ): Promise<tf.Tensor4D> {
    const [first] = plans;
    const perRequest = await runPriorBatch(
      this.prior,
      {
        items: plans.map((plan, r) => ({
          prompt: plan.prompt,
          negativePrompt: plan.negativePrompt,
          imagesPerPrompt: plan.n,
          noise: noises[r],
        })),
        steps: first.priorSteps,
        guidanceScale: first.priorGuidanceScale,
        scheduler: this.priorScheduler(),
      },
      control,
    );
    for (const r of perRequest) owned.push(r.imageEmbeds, r.negativeImageEmbeds);
    const embeds: PriorResult = {
      imageEmbeds: tf.concat(
        perRequest.map((r) => r.imageEmbeds),
        0,
      ),
      negativeImageEmbeds: tf.concat(
        perRequest.map((r) => r.negativeImageEmbeds),
        0,
      ),
    };
    owned.push(embeds.imageEmbeds, embeds.negativeImageEmbeds);
    const noise = new RowBlockNoise(plans.map((plan, r) => ({ source: noises[r], rows: plan.n })));
    const prompt = plans.map((plan) => ({ prompt: plan.prompt, rows: plan.n }));
    return this.decode(first, { fuse: [] }, embeds, noise, control, owned, prompt);
  }

  private priorScheduler() {
    return createScheduler('unclip', this.schedulerConfigs.unclip);
  }
}

/**
 * What shapes a batched run's computation; requests with equal shapes can share one pass. Output format is not part
 * of it (each request's images are encoded on their own).
 */
export function computeShape(plan: GenerationPlan): Record<string, unknown> {
  return {
    task: plan.task,
    width: plan.width,
    height: plan.height,
    steps: plan.steps,
    guidance_scale: plan.guidanceScale,
    prior_steps: plan.priorSteps,
    prior_guidance_scale: plan.priorGuidanceScale,
    scheduler: plan.scheduler,
    negative_prompt_given: plan.negativePrompt !== undefined,
  };
}

/** Refuses, before any compute, a batch that is not all text2image with one {@link computeShape}. */
function checkBatchable(plans: readonly GenerationPlan[]): void {
  const reference = computeShape(plans[0]);
  for (const [r, plan] of plans.entries()) {
    if (plan.task !== 'text2image') {
      throw new PipelineParamError('task', `only text2image requests can be batched, request ${r} is ${plan.task}`);
    }
    const shape = computeShape(plan);
    for (const [key, value] of Object.entries(reference)) {
      if (shape[key] !== value) {
        throw new PipelineParamError(
          key,
          `differs within the batch (request 0: ${JSON.stringify(value)}, request ${r}: ${JSON.stringify(shape[key])}); only equal-shaped requests run as one pass`,
        );
      }
    }
  }
}

/** The parameters recorded in each image's metadata (no image bytes). */
function describe(plan: GenerationPlan): Record<string, unknown> {
  const { image, mask, inputs, ...rest } = plan;
  return {
    model: 'kandinsky-2.1',
    ...rest,
    ...(plan.task === 'fuse'
      ? { inputs: inputs.map((i) => (i.type === 'text' ? i : { type: 'image', weight: i.weight })) }
      : {}),
  };
}

/** Input images decoded from the request's bytes. */
interface DecodedInputs {
  image?: Raster;
  mask?: Raster;
  fuse: (Raster | undefined)[];
}

async function decodeParam(param: string, bytes: Uint8Array): Promise<Raster> {
  try {
    return await decodeImage(bytes);
  } catch (err) {
    throw new PipelineParamError(param, `is not a readable image: ${(err as Error).message}`);
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

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
import { SeededNoise } from '../random/seeded-noise.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import type { RawSchedulerConfig } from '../schedulers/scheduler-config.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer, type PromptTokenizer } from '../tokenizers/index.js';
import type { DecoderComponents, PriorComponents } from './components.js';
import { denoiseLatents } from './decoder-stage.js';
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
import { type PriorResult, runPrior } from './prior-stage.js';
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
   * image count; the returned source serves the whole run (prior, then decoder).
   */
  noise?: (n: number) => NoiseSource;
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
    const plan = planGeneration(params);
    if (plan.task === 'inpaint' && !this.unets.inpaint) {
      throw new PipelineParamError(
        'task',
        'inpainting needs the unet_inpaint component, which this model folder lacks',
      );
    }
    const inputs = await this.decodeInputs(plan);
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
    const noise = opts.noise
      ? opts.noise(plan.n)
      : new PerImageNoise(Array.from({ length: plan.n }, (_, i) => new SeededNoise(plan.seed + i)));
    const owned: tf.Tensor[] = [];
    try {
      const embeds = await this.imageEmbeddings(plan, inputs, noise, control, owned);
      const image = await this.decode(plan, inputs, embeds, noise, control, owned);
      const rasters = await imageTensorToRasters(image);
      const parameters = describe(plan);
      const images: GeneratedImage[] = [];
      for (const [i, raster] of rasters.entries()) {
        images.push({
          bytes: await encodeImage(raster, plan.outputFormat, { parameters: { ...parameters, seed: plan.seed + i } }),
          width: raster.width,
          height: raster.height,
          contentType: OUTPUT_CONTENT_TYPES[plan.outputFormat],
          seed: plan.seed + i,
        });
      }
      timings.total = performance.now() - started;
      return { images, timingsMs: timings, parameters };
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
          prompt: plan.prompt,
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

  private priorScheduler() {
    return createScheduler('unclip', this.schedulerConfigs.unclip);
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

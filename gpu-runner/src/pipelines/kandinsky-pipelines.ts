import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  imageSeed,
  mapRequestImages,
  maskAlphaProblem,
  maskSizeProblem,
  type ResolvedGeneration,
} from '@kandinsky/protocol';
import * as tf from '@tensorflow/tfjs';
import { decodeAlphaMask } from '../image/alpha-mask.js';
import {
  CLIP_IMAGE_PROCESSOR_DEFAULTS,
  type ClipImageProcessorConfig,
  clipImagesToTensor,
  decodeImage,
  encodeImage,
  ImageInputError,
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
import { type BatchShape, batchKey, batchShape } from './batch-shape.js';
import type { DecoderComponents, PriorComponents } from './components.js';
import { type DecoderRequest, denoiseLatents, type LatentPreviews } from './decoder-stage.js';
import { type FuseItem, runFusePrior, variationEmbeds } from './fuse-stage.js';
import { type GenerationParams, type GenerationRequest, planGeneration } from './generation-request.js';
import {
  decoderTextEncoderFrom,
  imageEncoderFrom,
  movqFrom,
  priorFrom,
  priorTextEncoderFrom,
  unetFrom,
} from './model-adapters.js';
import { COMPONENT_FOLDERS, type ComponentFolder, OPTIONAL_COMPONENTS } from './model-folder-layout.js';
import { PipelineParamError } from './pipeline-errors.js';
import { type PriorResult, runPrior, runPriorBatch } from './prior-stage.js';
import { type GenerationStage, type RunControl, throwIfCancelled } from './progress.js';

/** A request ready to run: resolved by the contract, its input images decoded (see {@link KandinskyPipelines.prepare}). */
export type PreparedRequest = ResolvedGeneration<Raster>;

/** A prepared request and the key of the requests it can share one pass with (null: it runs alone). */
export interface PreparedGeneration {
  request: PreparedRequest;
  batchKey: string | null;
}

/** One generated image, encoded. */
export interface GeneratedImage {
  bytes: Uint8Array;
  width: number;
  height: number;
  contentType: string;
  /** The seed that reproduces this image alone: `imageSeed(seed, index)`. */
  seed: number;
}

/** The preview images of one request after one decoder step (see {@link GenerateOptions.onPreview}). */
export interface GeneratedPreview {
  /** The request's index in the batch. */
  request: number;
  /** The denoising step (1-based, of the steps the run takes) whose predicted clean latents were decoded. */
  step: number;
  totalSteps: number;
  /** One per output image, in the request's output format (no metadata); seeds as the final images'. */
  images: GeneratedImage[];
}

/** A finished generation. */
export interface GenerationResult {
  images: GeneratedImage[];
  /**
   * Wall time per stage: `encode` (text/image encoders), `prior`, `decoder` (the U-Net loop), `movq`, `preview`
   * (decoding and encoding previews, when there were any), plus `total`.
   */
  timingsMs: Record<string, number>;
  /** The resolved parameters, as recorded in each image's metadata. */
  parameters: Record<string, unknown>;
}

/** Options of one generation. */
export interface GenerateOptions extends RunControl {
  /**
   * Replaces the seeded noise (image i: `SeededNoise(imageSeed(seed, i))`), e.g. to inject saved reference draws.
   * Receives the image count and the request's index in the batch; the returned source serves that request's whole
   * run (prior, then decoder).
   */
  noise?: (n: number, request: number) => NoiseSource;
  /**
   * Receives the previews of requests with `preview_steps`: after each such decoder step, the step's predicted clean
   * latents (`pred_original_sample`) decoded through MoVQ and encoded, per request. Awaited before the run goes on.
   * Without it no preview is made. Previews never change the final images.
   */
  onPreview?: (preview: GeneratedPreview) => void | Promise<void>;
}

type PreparedOf<T extends PreparedRequest['task']> = Extract<PreparedRequest, { task: T }>;

/**
 * The five Kandinsky 2.1 generation tasks over a converted model folder: `text2image` (prior + decoder),
 * `variation` (CLIP image embedding + decoder), `fuse` (weighted prompts and images + decoder), `img2img` and
 * `inpaint`. A request is checked against the one request contract and its images decoded ({@link prepare}) before
 * any compute; image `i` is seeded with `imageSeed(seed, i)` (one noise stream per image shared by prior and decoder,
 * as the reference's combined pipelines share one generator); progress is reported per step and an AbortSignal
 * cancels between steps. Outputs carry the parameters in the file's metadata. Every tensor of a generation is
 * released when it ends, failed, cancelled or not.
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
        if (OPTIONAL_COMPONENTS.includes(name) && !existsSync(join(root, name, 'component.json'))) continue;
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

  /**
   * Makes a resolved request ready to run, before any compute: decodes its input images (an unreadable one is a
   * {@link PipelineParamError} with code `invalid_image` naming the field), checks the mask's size against the image's,
   * and that inpainting is available; returns it with its {@link batchKey}.
   */
  async prepare(request: GenerationRequest): Promise<PreparedGeneration> {
    if (request.task === 'inpaint' && !this.unets.inpaint) {
      throw new PipelineParamError(
        'task',
        'inpainting needs the unet_inpaint component, which this model folder lacks',
        {
          code: 'unsupported_task',
        },
      );
    }
    const alphaMask = request.task === 'inpaint' && request.params.mask_source === 'alpha';
    if (alphaMask) {
      const problem = maskAlphaProblem(request.params.mask);
      if (problem) throw new PipelineParamError('mask', problem, { code: 'invalid_request' });
    }
    const prepared = await mapRequestImages(request, (bytes, param) =>
      decodeParam(bytes, param, alphaMask && param === 'mask' ? decodeAlphaMask : decodeImage),
    );
    if (prepared.task === 'inpaint') {
      const problem = maskSizeProblem(prepared.params.image, prepared.params.mask);
      if (problem) throw new PipelineParamError('mask', problem, { code: 'invalid_request' });
    }
    return { request: prepared, batchKey: batchKey(prepared) };
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
   * Generates prepared requests. Several run as one pass when they share a non-null {@link batchKey} (text2image
   * requests of one {@link BatchShape}): the prior and the U-Net run once per step for all of them (guidance batch
   * included) and MoVQ decodes them together; each image is the one its request would give alone (its noise comes
   * from its own source). Prompts, negative prompts, seeds, `n` and output formats may differ. Progress is reported
   * once per step for the whole batch and the signal cancels all of it. Returns one result per request, in order;
   * `timingsMs` are the batch's.
   */
  async run(batch: readonly PreparedGeneration[], opts: GenerateOptions = {}): Promise<GenerationResult[]> {
    if (batch.length === 0) throw new PipelineParamError('requests', 'needs at least one request');
    const requests = batch.map((item) => item.request);
    if (requests.length > 1) checkBatchable(requests);
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
    // A batch shares its preview steps (they are part of the batch key).
    const previewSteps = requests[0].params.preview_steps;
    const onPreview = opts.onPreview;
    const previews: LatentPreviews | undefined =
      previewSteps && onPreview
        ? {
            steps: new Set(previewSteps),
            onLatents: async (step, totalSteps, latents) => {
              const t0 = performance.now();
              const perRequest = await this.previewImages(requests, latents);
              for (const [request, images] of perRequest.entries()) {
                await onPreview({ request, step, totalSteps, images });
              }
              // Preview time is its own stage: keep it out of the next step's decoder time.
              const spent = performance.now() - t0;
              timings.preview = (timings.preview ?? 0) + spent;
              last += spent;
            },
          }
        : undefined;
    const noises = requests.map((request, r) => {
      const { n, seed } = request.params;
      return opts.noise
        ? opts.noise(n, r)
        : new PerImageNoise(Array.from({ length: n }, (_, i) => new SeededNoise(imageSeed(seed, i))));
    });
    const owned: tf.Tensor[] = [];
    try {
      const [first] = requests;
      const image =
        requests.length === 1
          ? await this.decode(
              first,
              await this.imageEmbeddings(first, noises[0], control, owned),
              noises[0],
              control,
              owned,
              { previews },
            )
          : await this.text2imageBatch(requests as PreparedOf<'text2image'>[], noises, control, owned, previews);
      const rasters = await imageTensorToRasters(image);
      const results: GenerationResult[] = [];
      let row = 0;
      for (const request of requests) {
        const parameters = describe(request);
        const { n, seed, output_format: format } = request.params;
        const images: GeneratedImage[] = [];
        for (let i = 0; i < n; i++) {
          const raster = rasters[row++];
          const imageSeedUsed = imageSeed(seed, i);
          images.push({
            bytes: await encodeImage(raster, format, { parameters: { ...parameters, seed: imageSeedUsed } }),
            width: raster.width,
            height: raster.height,
            contentType: OUTPUT_CONTENT_TYPES[format],
            seed: imageSeedUsed,
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

  /** The prior side of a request: image embeddings and negatives, one row per output image. */
  private async imageEmbeddings(
    request: PreparedRequest,
    noise: NoiseSource,
    control: RunControl,
    owned: tf.Tensor[],
  ): Promise<PriorResult> {
    const p = request.params;
    const prior = {
      imagesPerPrompt: p.n,
      steps: p.prior_steps,
      guidanceScale: p.prior_guidance_scale,
      noise,
      scheduler: this.priorScheduler(),
    };
    // A negative prompt reaches the prior as in the reference's combined pipelines: it is each prior run's
    // unconditional text, and the negative image embedding is the prior's sample for it (interpolate's
    // `negative_prompt` / `negative_prior_prompt`). Without one, the negative is the zero-image embedding.
    const negative = p.negative_prompt
      ? { negativePrompt: p.negative_prompt, negativePriorPrompt: p.negative_prompt }
      : {};
    const clipPixels = (raster: Raster): tf.Tensor4D => {
      const pixels = clipImagesToTensor([raster], this.clipConfig);
      owned.push(pixels);
      return pixels;
    };
    let result: PriorResult;
    if (request.task === 'variation' && !request.params.negative_prompt) {
      result = variationEmbeds(this.prior, clipPixels(request.params.image), p.n);
      control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });
    } else if (request.task === 'variation' || request.task === 'fuse') {
      const items: FuseItem[] =
        request.task === 'variation'
          ? [{ type: 'image', pixels: clipPixels(request.params.image), weight: 1 }]
          : request.params.inputs.map((item) =>
              item.type === 'text' ? item : { type: 'image', pixels: clipPixels(item.image), weight: item.weight },
            );
      result = await runFusePrior(this.prior, { ...prior, items, ...negative }, control);
    } else {
      result = await runPrior(
        this.prior,
        { ...prior, prompt: request.params.prompt, negativePrompt: request.params.negative_prompt },
        control,
      );
    }
    owned.push(result.imageEmbeds, result.negativeImageEmbeds);
    return result;
  }

  /** The decoder side: U-Net denoising from the embeddings (img2img and inpainting from the image), then MoVQ. */
  private async decode(
    request: PreparedRequest,
    embeds: PriorResult,
    noise: NoiseSource,
    control: RunControl,
    owned: tf.Tensor[],
    extra: { prompt?: DecoderRequest['prompt']; previews?: LatentPreviews } = {},
  ): Promise<tf.Tensor4D> {
    const p = request.params;
    const prompt = extra.prompt ?? ('prompt' in request.params ? (request.params.prompt ?? '') : '');
    const initImage = (image: Raster) => {
      const tensor = initImagesToTensor([image], p.width, p.height);
      owned.push(tensor);
      return tensor;
    };
    const img2img =
      request.task === 'img2img'
        ? { image: initImage(request.params.image), strength: request.params.strength }
        : undefined;
    const inpaint =
      request.task === 'inpaint'
        ? {
            image: initImage(request.params.image),
            keepMask: prepareKeepMaskFromImage(request.params.mask, p.width, p.height),
          }
        : undefined;
    const unet = inpaint ? this.unets.inpaint : this.unets.text2image;
    if (!unet)
      throw new PipelineParamError('task', 'inpainting needs the unet_inpaint component', { code: 'unsupported_task' });
    const scheduler = createScheduler(
      p.scheduler,
      p.scheduler === 'dpmpp_2m' ? this.schedulerConfigs.ddim : this.schedulerConfigs[p.scheduler],
    );
    try {
      const latents = await denoiseLatents(
        { ...this.decoder, unet },
        {
          // The combined pipelines never pass the negative prompt to the decoder: its unconditional text is "".
          prompt,
          imageEmbeds: embeds.imageEmbeds,
          negativeImageEmbeds: embeds.negativeImageEmbeds,
          height: p.height,
          width: p.width,
          steps: p.steps,
          guidanceScale: p.guidance_scale,
          scheduler,
          noise,
          img2img,
          inpaint,
          previews: extra.previews,
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

  /** Text2image for several batchable requests: one prior pass, one decoder pass, one MoVQ decode. */
  private async text2imageBatch(
    requests: readonly PreparedOf<'text2image'>[],
    noises: readonly NoiseSource[],
    control: RunControl,
    owned: tf.Tensor[],
    previews?: LatentPreviews,
  ): Promise<tf.Tensor4D> {
    const [first] = requests;
    const perRequest = await runPriorBatch(
      this.prior,
      {
        items: requests.map(({ params }, r) => ({
          prompt: params.prompt,
          negativePrompt: params.negative_prompt,
          imagesPerPrompt: params.n,
          noise: noises[r],
        })),
        steps: first.params.prior_steps,
        guidanceScale: first.params.prior_guidance_scale,
        scheduler: this.priorScheduler(),
      },
      control,
    );
    for (const r of perRequest) owned.push(r.imageEmbeds, r.negativeImageEmbeds);
    const imageEmbeds = tf.concat(perRequest.map((r) => r.imageEmbeds));
    owned.push(imageEmbeds);
    const negativeImageEmbeds = tf.concat(perRequest.map((r) => r.negativeImageEmbeds));
    owned.push(negativeImageEmbeds);
    const noise = new RowBlockNoise(requests.map(({ params }, r) => ({ source: noises[r], rows: params.n })));
    const prompt = requests.map(({ params }) => ({ prompt: params.prompt, rows: params.n }));
    return this.decode(first, { imageEmbeds, negativeImageEmbeds }, noise, control, owned, { prompt, previews });
  }

  /**
   * Preview images from a step's predicted clean latents (one row per output image, requests in batch order): the
   * same MoVQ decode and conversion to pixels as the final images, each request's rows encoded in its output format.
   */
  private async previewImages(requests: readonly PreparedRequest[], latents: tf.Tensor4D): Promise<GeneratedImage[][]> {
    const decoded = this.decoder.movq.decode(latents);
    let rasters: Raster[];
    try {
      rasters = await imageTensorToRasters(decoded);
    } finally {
      decoded.dispose();
    }
    const out: GeneratedImage[][] = [];
    let row = 0;
    for (const request of requests) {
      const { n, seed, output_format: format } = request.params;
      const images: GeneratedImage[] = [];
      for (let i = 0; i < n; i++) {
        const raster = rasters[row++];
        images.push({
          bytes: await encodeImage(raster, format),
          width: raster.width,
          height: raster.height,
          contentType: OUTPUT_CONTENT_TYPES[format],
          seed: imageSeed(seed, i),
        });
      }
      out.push(images);
    }
    return out;
  }

  private priorScheduler() {
    return createScheduler('unclip', this.schedulerConfigs.unclip);
  }
}

/** Refuses, before any compute, a batch whose requests do not all share one {@link BatchShape}, naming the field. */
function checkBatchable(requests: readonly PreparedRequest[]): void {
  const reference = batchShape(requests[0]);
  for (const [r, request] of requests.entries()) {
    const shape = batchShape(request);
    if (!reference || !shape) {
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
  }
}

/**
 * The parameters recorded in each image's metadata (no image data, no preview steps: previews do not change the
 * image, so an image is the same file with or without them).
 */
function describe(request: PreparedRequest): Record<string, unknown> {
  const {
    image: _image,
    mask: _mask,
    inputs,
    preview_steps: _previews,
    ...rest
  } = request.params as PreparedRequest['params'] & {
    image?: Raster;
    mask?: Raster;
    inputs?: PreparedOf<'fuse'>['params']['inputs'];
  };
  return {
    model: 'kandinsky-2.1',
    task: request.task,
    ...rest,
    ...(inputs ? { inputs: inputs.map((i) => (i.type === 'text' ? i : { type: 'image', weight: i.weight })) } : {}),
  };
}

/** Decodes one input image; an unreadable file is the request's fault, named by its field. */
async function decodeParam(
  bytes: Uint8Array,
  param: string,
  decode: (bytes: Uint8Array) => Promise<Raster>,
): Promise<Raster> {
  try {
    return await decode(bytes);
  } catch (err) {
    if (!(err instanceof ImageInputError)) throw err;
    throw new PipelineParamError(param, `is not a readable image: ${err.message}`, { code: 'invalid_image' });
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

import * as tf from '@tensorflow/tfjs';
import { latentKeepMaskTensor } from '../image/index.js';
import { latentNoise, type NoiseSource } from '../random/noise-source.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import {
  cfgBatch,
  concatParts,
  concatRows,
  eachOwned,
  guideNoiseKeepVariance,
  repeatRows,
  scaleNoise,
  yieldToEventLoop,
} from './batching.js';
import type { DecoderComponents } from './components.js';
import { img2imgAddNoise, img2imgSchedule } from './img2img-noising.js';
import { latentSize } from './latent-geometry.js';
import { PipelineParamError } from './pipeline-errors.js';
import { type RunControl, throwIfCancelled } from './progress.js';

/** The decoder's text length (hard-coded to 77 in the reference pipelines). */
export const DECODER_TEXT_LENGTH = 77;

/** img2img: start from a noised encoding of `image` instead of pure noise. */
export interface Img2ImgInput {
  /** `[1, H, W, 3]` in [-1, 1], already at the output size. */
  image: tf.Tensor4D;
  /** In (0, 1]: how much of the schedule is re-run (and how strongly the image is noised). */
  strength: number;
}

/** Inpainting: the 9-channel U-Net sees the masked image latents and the keep-mask at every step. */
export interface InpaintInput {
  /** `[1, H, W, 3]` in [-1, 1], already at the output size. */
  image: tf.Tensor4D;
  /**
   * Keep-mask at the image's size, row-major `[H · W]` (1 = keep, 0 = repaint): what the image module's
   * `prepareKeepMaskFromImage` / `prepareKeepMaskFromArray` make from a white-=-repaint mask.
   */
  keepMask: Float32Array;
}

/** Previews of a decoder run: the predicted clean latents of chosen steps, handed out as they are computed. */
export interface LatentPreviews {
  /** Denoising steps (1-based, counting the steps this run takes, as progress does) that get a preview. */
  steps: ReadonlySet<number>;
  /**
   * Receives step `step`'s predicted clean latents `[n, h, w, 4]` (the scheduler's `pred_original_sample`), which
   * are disposed once the returned promise settles; awaited before the next step. It must not change the run: the
   * latents the loop continues with are never touched.
   */
  onLatents: (step: number, totalSteps: number, latents: tf.Tensor4D) => Promise<void>;
}

/** One decoder run (diffusers `KandinskyPipeline` / `KandinskyImg2ImgPipeline` / `KandinskyInpaintPipeline`). */
export interface DecoderRequest {
  /**
   * The prompt of every image, or, for several requests batched into one run, each request's prompt with its image
   * count in row order (the counts must add up to the embeddings' rows; the noise source must split its draws the
   * same way, e.g. `RowBlockNoise`).
   */
  prompt: string | readonly PromptRows[];
  /** The unconditional text; the reference uses "" (the combined pipelines never forward a negative prompt here). */
  negativePrompt?: string;
  /** `[n, D]` image embeddings, one row per output image. */
  imageEmbeds: tf.Tensor2D;
  /** `[n, D]` negative image embeddings. */
  negativeImageEmbeds: tf.Tensor2D;
  /** Requested pixel size; latents are `ceil(size / 64) · 8`. */
  height: number;
  width: number;
  steps: number;
  guidanceScale: number;
  scheduler: Scheduler;
  noise: NoiseSource;
  img2img?: Img2ImgInput;
  inpaint?: InpaintInput;
  previews?: LatentPreviews;
}

/** One request's prompt in a batched decoder run, and how many consecutive image rows it conditions. */
export interface PromptRows {
  prompt: string;
  rows: number;
}

/**
 * Denoises latents with the U-Net and decodes them with MoVQ, following the reference step for step: text encoded
 * cond-then-uncond; `[uncond, cond]` batches; guidance on the ε channels only with the conditional variance appended
 * (dropped unless the scheduler uses it); initial latents one NCHW-ordered draw (or, for img2img, the encoded image
 * noised at `int(1000·strength) - 2` with the pipeline's own schedule, then the last `int(steps·strength)` steps);
 * for inpainting the U-Net input is `[latents, masked image latents, keep-mask]`. Returns images `[n, H, W, 3]` in
 * [0, 1] (`clamp(x · 0.5 + 0.5, 0, 1)`), which the caller owns.
 */
export async function runDecoder(
  c: DecoderComponents,
  req: DecoderRequest,
  control: RunControl = {},
): Promise<tf.Tensor4D> {
  const latents = await denoiseLatents(c, req, control);
  try {
    throwIfCancelled(control, 'movq');
    const image = tf.tidy(() => tf.clipByValue(tf.add(tf.mul(c.movq.decode(latents), 0.5), 0.5), 0, 1) as tf.Tensor4D);
    control.onProgress?.({ stage: 'movq', step: 1, totalSteps: 1 });
    return image;
  } finally {
    latents.dispose();
  }
}

/** {@link runDecoder} up to the final latents `[n, h, w, 4]` (before MoVQ decoding). */
export async function denoiseLatents(
  c: DecoderComponents,
  req: DecoderRequest,
  control: RunControl = {},
): Promise<tf.Tensor4D> {
  const n = req.imageEmbeds.shape[0];
  if (req.negativeImageEmbeds.shape[0] !== n) {
    throw new PipelineParamError(
      'negative_image_embeds',
      `has ${req.negativeImageEmbeds.shape[0]} rows for ${n} images`,
    );
  }
  const expectedChannels = c.movq.latentChannels + (req.inpaint ? c.movq.latentChannels + 1 : 0);
  if (c.unet.inChannels !== expectedChannels) {
    throw new PipelineParamError(
      'model',
      `the U-Net takes ${c.unet.inChannels} input channels but ${req.inpaint ? 'inpainting' : 'this task'} needs ${expectedChannels}`,
    );
  }
  const useCfg = req.guidanceScale > 1;
  const scheduler = req.scheduler;
  const size = latentSize(req.height, req.width);
  const keep: tf.Tensor[] = [];
  try {
    // 1. Text (cond, then uncond) and image conditioning, batched [uncond, cond].
    const promptRows = typeof req.prompt === 'string' ? [{ prompt: req.prompt, rows: n }] : req.prompt;
    const promptTotal = promptRows.reduce((sum, p) => sum + p.rows, 0);
    if (promptTotal !== n) {
      throw new PipelineParamError('prompt', `rows cover ${promptTotal} images but there are ${n} image embeddings`);
    }
    const cond = encodePromptRows(c, promptRows);
    keep.push(cond.pooled, cond.hidden);
    let textEmbeds = cond.pooled;
    let textHidden = cond.hidden;
    let imageEmbeds = req.imageEmbeds;
    if (useCfg) {
      const uncond = encodeDecoderText(c, req.negativePrompt ?? '', n);
      keep.push(uncond.pooled, uncond.hidden);
      textEmbeds = cfgBatch(uncond.pooled, cond.pooled);
      keep.push(textEmbeds);
      textHidden = cfgBatch(uncond.hidden, cond.hidden);
      keep.push(textHidden);
      imageEmbeds = cfgBatch(req.negativeImageEmbeds, req.imageEmbeds);
      keep.push(imageEmbeds);
    }
    control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });

    // 2. Schedule and initial latents.
    scheduler.setTimesteps(req.steps);
    let startIndex = 0;
    let latents: tf.Tensor4D;
    let extraChannels: tf.Tensor4D | undefined;
    if (req.img2img) {
      const plan = img2imgSchedule(req.steps, req.img2img.strength);
      startIndex = plan.startIndex;
      const encoded = encodeImage(c, req.img2img.image, n);
      keep.push(encoded);
      const noise = latentNoise(req.noise, encoded.shape);
      keep.push(noise);
      latents = img2imgAddNoise(encoded, noise, plan.noiseTimestep) as tf.Tensor4D;
    } else {
      if (req.inpaint) {
        extraChannels = inpaintChannels(c, req.inpaint, size, n, useCfg);
        keep.push(extraChannels);
      }
      const shape = [n, size.height, size.width, c.movq.latentChannels];
      latents = scaleNoise(latentNoise(req.noise, shape), scheduler.initNoiseSigma);
    }

    // 3. Denoising loop.
    try {
      const timesteps = scheduler.timesteps;
      const total = timesteps.length - startIndex;
      for (let index = startIndex; index < timesteps.length; index++) {
        throwIfCancelled(control, 'decoder');
        const step = index - startIndex + 1;
        const wantPreview = req.previews?.steps.has(step) ?? false;
        const current = latents;
        const { next, clean } = tf.tidy(() => {
          let input: tf.Tensor4D = useCfg ? cfgBatch(current, current) : current;
          if (extraChannels) input = tf.concat([input, extraChannels], 3);
          const raw = c.unet.predict({
            sample: input,
            timestep: timesteps[index],
            textHidden,
            textEmbeds,
            imageEmbeds,
          });
          let prediction = useCfg ? guideNoiseKeepVariance(raw, req.guidanceScale, c.movq.latentChannels) : raw;
          if (!scheduler.learnedVariance) {
            prediction = tf.slice(prediction, [0, 0, 0, 0], [-1, -1, -1, c.movq.latentChannels]);
          }
          const out = scheduler.step({ index, modelOutput: prediction, sample: current, noise: req.noise });
          // Kept only when a preview wants it; otherwise tidy releases it as before.
          return wantPreview
            ? { next: out.prevSample as tf.Tensor4D, clean: out.predOriginalSample as tf.Tensor4D }
            : { next: out.prevSample as tf.Tensor4D, clean: undefined };
        });
        current.dispose();
        latents = next;
        control.onProgress?.({ stage: 'decoder', step, totalSteps: total });
        if (clean) {
          try {
            await req.previews?.onLatents(step, total, clean);
          } finally {
            clean.dispose();
          }
        }
        await yieldToEventLoop();
      }
      return latents;
    } catch (err) {
      latents.dispose();
      throw err;
    }
  } finally {
    tf.dispose(keep);
  }
}

/** Encodes one prompt with the decoder's tokenizer (77 tokens, with mask) and text encoder, repeated for n images. */
function encodeDecoderText(
  c: DecoderComponents,
  prompt: string,
  n: number,
): { pooled: tf.Tensor2D; hidden: tf.Tensor3D } {
  const batch = c.tokenizer.encode([prompt], { maxLength: DECODER_TEXT_LENGTH });
  return tf.tidy(() => {
    const ids = tf.tensor2d(concatRows(batch.inputIds), [1, DECODER_TEXT_LENGTH], 'int32');
    const mask = tf.tensor2d(concatRows(batch.attentionMask), [1, DECODER_TEXT_LENGTH], 'int32');
    const out = c.textEncoder.encode(ids, mask);
    return { pooled: repeatRows(out.pooled, n), hidden: repeatRows(out.hidden, n) };
  });
}

/** Each request's prompt encoded as alone ({@link encodeDecoderText}), stacked in row order. */
function encodePromptRows(
  c: DecoderComponents,
  rows: readonly PromptRows[],
): { pooled: tf.Tensor2D; hidden: tf.Tensor3D } {
  const parts = eachOwned(rows, (r) => encodeDecoderText(c, r.prompt, r.rows));
  return concatParts(parts) as { pooled: tf.Tensor2D; hidden: tf.Tensor3D };
}

/** MoVQ latents of the (single) input image, repeated for n images. */
function encodeImage(c: DecoderComponents, image: tf.Tensor4D, n: number): tf.Tensor4D {
  return tf.tidy(() => repeatRows(c.movq.encode(image), n));
}

/**
 * The inpainting U-Net's extra input channels `[masked image latents (4), keep-mask (1)]`, repeated for n images and
 * doubled for guidance. The whole (unmasked) image is encoded, then masked in latent space.
 */
function inpaintChannels(
  c: DecoderComponents,
  input: InpaintInput,
  size: { height: number; width: number },
  n: number,
  useCfg: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const imageLatents = c.movq.encode(input.image);
    const [, h, w] = imageLatents.shape;
    if (h !== size.height || w !== size.width) {
      throw new PipelineParamError(
        'image',
        `encodes to ${h}x${w} latents but the output needs ${size.height}x${size.width}`,
      );
    }
    const [, imageHeight, imageWidth] = input.image.shape;
    const mask = latentKeepMaskTensor(input.keepMask, imageHeight, imageWidth, size.height, size.width);
    const extra = repeatRows(tf.concat([tf.mul(imageLatents, mask), mask], 3) as tf.Tensor4D, n);
    return useCfg ? cfgBatch(extra, extra) : extra;
  });
}

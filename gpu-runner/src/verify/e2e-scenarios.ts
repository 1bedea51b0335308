import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { clipPreprocess, parseClipImageProcessorConfig } from '../image/clip-image-processor.js';
import { prepareKeepMaskFromArray } from '../image/index.js';
import { rasterFrom } from '../image/raster.js';
import type { DecoderComponents, PriorComponents } from '../pipelines/components.js';
import { runDecoder } from '../pipelines/decoder-stage.js';
import { type FuseItem, runFusePrior } from '../pipelines/fuse-stage.js';
import { runPrior } from '../pipelines/prior-stage.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { RawSchedulerConfig } from '../schedulers/scheduler-config.js';
import type { TraceReplay } from './trace-replay.js';

/** The components a scenario runs on: fakes replaying the trace, or the real converted tiny models. */
export interface ScenarioComponents {
  prior: PriorComponents;
  decoder: DecoderComponents;
}

/**
 * One reference trace (`<tiny set>/<name>`) rerun through our pipeline stages with its random draws injected. Every
 * prompt, step count, guidance scale, size, strength, weight and scheduler setting comes from the trace's own
 * `trace.json` (nothing about a particular fixture is written here), so any trace set the reference harness makes
 * runs unchanged. `run` records every comparison in the trace (`trace.compare`) and releases what it made; the
 * caller decides the tolerance (`pipelines.replay.test.ts`: fakes; `pipelines.models.test.ts` and
 * `kandinsky verify`: real models).
 */
export interface E2eScenario {
  name: string;
  title: string;
  /** The U-Net the trace used: the 9-channel inpainting one for `e2e_inpaint`. */
  unet: 'unet' | 'unet_inpaint';
  run(trace: TraceReplay, components: ScenarioComponents): Promise<void>;
}

/** The settings of one stage as the harness records them (`prior` / `decoder` objects of trace.json). */
interface StageMeta {
  negative_prompt?: string | null;
  num_inference_steps: number;
  guidance_scale: number;
  height?: number;
  width?: number;
  strength?: number;
  scheduler?: RawSchedulerConfig;
  unet?: string;
}

function need<T>(value: T | undefined | null, trace: TraceReplay, what: string): T {
  if (value === undefined || value === null) throw new Error(`${trace.name}: trace.json has no ${what}`);
  return value;
}

function stage(trace: TraceReplay, key: 'prior' | 'decoder'): StageMeta {
  return need(trace.meta[key] as StageMeta | undefined, trace, `"${key}" settings`);
}

const prompt = (trace: TraceReplay) => need(trace.meta.prompt as string | undefined, trace, '"prompt"');

/**
 * The decoder scheduler a trace ran: DDPM when its config has a `variance_type` (the `ddpm_scheduler/` config of the
 * hub repository), else DDIM, the decoder's default; the trace's config overrides Kandinsky's defaults.
 */
function decoderScheduler(config: RawSchedulerConfig | undefined): Scheduler {
  return createScheduler(config && 'variance_type' in config ? 'ddpm' : 'ddim', config);
}

function initImage(trace: TraceReplay): tf.Tensor4D {
  return tf.tidy(
    () => tf.sub(tf.div(trace.tensor('input.init_image_uint8_HWC'), 127.5), 1).expandDims(0) as tf.Tensor4D,
  );
}

/** Decoder-only traces start from the image embeddings the reference's prior produced. */
async function decodeFromSavedEmbeds(
  trace: TraceReplay,
  decoder: DecoderComponents,
  extra: { img2img?: boolean; inpaint?: boolean } = {},
): Promise<void> {
  const settings = stage(trace, 'decoder');
  const imageEmbeds = trace.tensor('input.image_embeds') as tf.Tensor2D;
  const negativeImageEmbeds = trace.tensor('input.negative_image_embeds') as tf.Tensor2D;
  const init = extra.img2img || extra.inpaint ? initImage(trace) : undefined;
  try {
    const image = await runDecoder(decoder, {
      prompt: prompt(trace),
      imageEmbeds,
      negativeImageEmbeds,
      height: need(settings.height, trace, 'decoder.height'),
      width: need(settings.width, trace, 'decoder.width'),
      steps: settings.num_inference_steps,
      guidanceScale: settings.guidance_scale,
      scheduler: trace.scheduler('decoder', decoderScheduler(settings.scheduler)),
      noise: trace.noise,
      ...(extra.img2img
        ? { img2img: { image: init!, strength: need(settings.strength, trace, 'decoder.strength') } }
        : {}),
      ...(extra.inpaint
        ? {
            // The reference's ndarray mask path: binarize at 0.5, keep = 1 - mask.
            inpaint: {
              image: init!,
              keepMask: prepareKeepMaskFromArray(
                need(trace.tensors.get('input.mask_image'), trace, 'input.mask_image').data as Float32Array,
              ),
            },
          }
        : {}),
    });
    trace.compare('final.image_np', image);
    image.dispose();
  } finally {
    tf.dispose([imageEmbeds, negativeImageEmbeds, ...(init ? [init] : [])]);
  }
}

/** Prior then decoder on one noise stream (the prior's draws, then the decoder's, as recorded). */
async function priorThenDecoder(
  trace: TraceReplay,
  { prior, decoder }: ScenarioComponents,
  opts: {
    prior: { negativePrompt?: string; steps: number; guidanceScale: number; scheduler?: RawSchedulerConfig };
    decoder: { steps: number; guidanceScale: number; height: number; width: number; scheduler?: RawSchedulerConfig };
    compareEmbeds: boolean;
  },
): Promise<void> {
  const text = prompt(trace);
  const embeds = await runPrior(prior, {
    prompt: text,
    negativePrompt: opts.prior.negativePrompt,
    imagesPerPrompt: 1,
    steps: opts.prior.steps,
    guidanceScale: opts.prior.guidanceScale,
    noise: trace.noise,
    scheduler: trace.scheduler('prior', createScheduler('unclip', opts.prior.scheduler)),
  });
  if (opts.compareEmbeds) {
    trace.compare('final.image_embeds', embeds.imageEmbeds);
    trace.compare('final.negative_image_embeds', embeds.negativeImageEmbeds);
  }
  const image = await runDecoder(decoder, {
    prompt: text,
    ...embeds,
    height: opts.decoder.height,
    width: opts.decoder.width,
    steps: opts.decoder.steps,
    guidanceScale: opts.decoder.guidanceScale,
    scheduler: trace.scheduler('decoder', decoderScheduler(opts.decoder.scheduler)),
    noise: trace.noise,
  });
  trace.compare('final.image_np', image);
  tf.dispose([embeds.imageEmbeds, embeds.negativeImageEmbeds, image]);
}

/** Text-to-image with separately recorded prior and decoder settings (`prior` / `decoder` in trace.json). */
function text2image(trace: TraceReplay, components: ScenarioComponents): Promise<void> {
  const p = stage(trace, 'prior');
  const d = stage(trace, 'decoder');
  return priorThenDecoder(trace, components, {
    prior: {
      // null (the reference's default) = no negative prompt: the zero-image embedding is the negative.
      negativePrompt: p.negative_prompt ?? undefined,
      steps: p.num_inference_steps,
      guidanceScale: p.guidance_scale,
      scheduler: p.scheduler,
    },
    decoder: {
      steps: d.num_inference_steps,
      guidanceScale: d.guidance_scale,
      height: need(d.height, trace, 'decoder.height'),
      width: need(d.width, trace, 'decoder.width'),
      scheduler: d.scheduler,
    },
    compareEmbeds: true,
  });
}

/**
 * The CLIP pixels of an image item of `interpolate`: the trace's input image through our CLIP image processor, with
 * the tiny set's processor config (`image_encoder/meta.json`), so preprocessing is checked too (the trace compares
 * them with what the reference fed its image encoder).
 */
async function clipPixels(trace: TraceReplay): Promise<tf.Tensor4D> {
  const meta = JSON.parse(await readFile(join(trace.root, 'image_encoder', 'meta.json'), 'utf8'));
  const config = parseClipImageProcessorConfig(
    need(meta.image_processor, trace, 'image_encoder/meta.json image_processor'),
  );
  const input = need(trace.tensors.get('input.image_uint8_HWC'), trace, 'input.image_uint8_HWC');
  const [height, width, channels] = input.shape;
  const out = clipPreprocess(rasterFrom(width, height, channels, Uint8Array.from(input.data)), config);
  return tf.tensor4d(out.pixels, [1, out.height, out.width, 3]);
}

/** Every whole-pipeline trace of the reference harness. */
export const E2E_SCENARIOS: E2eScenario[] = [
  {
    name: 'e2e_text2img',
    title: 'prior (negative: zero-image embedding) then DDIM decoder',
    unet: 'unet',
    run: text2image,
  },
  {
    name: 'e2e_text2img_negprompt',
    title: 'prior with a negative prompt (run through the prior too) then DDIM decoder',
    unet: 'unet',
    run: text2image,
  },
  {
    name: 'e2e_text2img_ddpm',
    title: 'DDPM learned_range decoder (variance channels kept, dynamic thresholding)',
    unet: 'unet',
    run: (trace, { decoder }) => decodeFromSavedEmbeds(trace, decoder),
  },
  {
    name: 'e2e_img2img',
    title: 'img2img: noised to int(1000·strength)-2 with the pipeline betas, then the tail of the schedule',
    unet: 'unet',
    run: (trace, { decoder }) => decodeFromSavedEmbeds(trace, decoder, { img2img: true }),
  },
  {
    name: 'e2e_inpaint',
    title: '9-channel input [latents, masked latents, eroded keep-mask], white = repaint',
    unet: 'unet_inpaint',
    run: (trace, { decoder }) => decodeFromSavedEmbeds(trace, decoder, { inpaint: true }),
  },
  {
    name: 'e2e_combined',
    title: 'one noise stream shared by prior and decoder (combined pipeline defaults: DDIM decoder)',
    unet: 'unet',
    run: (trace, components) => {
      const m = trace.meta as Record<string, number | undefined>;
      return priorThenDecoder(trace, components, {
        prior: {
          steps: need(m.prior_num_inference_steps, trace, 'prior_num_inference_steps'),
          guidanceScale: need(m.prior_guidance_scale, trace, 'prior_guidance_scale'),
        },
        decoder: {
          steps: need(m.num_inference_steps, trace, 'num_inference_steps'),
          guidanceScale: need(m.guidance_scale, trace, 'guidance_scale'),
          height: need(m.height, trace, 'height'),
          width: need(m.width, trace, 'width'),
        },
        compareEmbeds: false,
      });
    },
  },
  {
    name: 'e2e_prior_interpolate',
    title:
      'interpolate: weighted prior(text) and CLIP(image) items; negative from the prior run of the negative prompt',
    unet: 'unet',
    run: async (trace, { prior }) => {
      const m = trace.meta as {
        images_and_prompts?: string[];
        weights?: number[];
        num_inference_steps?: number;
        guidance_scale?: number;
        negative_prompt?: string | null;
      };
      const entries = need(m.images_and_prompts, trace, 'images_and_prompts');
      const weights = need(m.weights, trace, 'weights');
      // The harness records an image item as a "<PIL …>" placeholder; the image itself is `input.image_uint8_HWC`.
      const isImage = (e: string) => e.startsWith('<PIL');
      if (entries.filter(isImage).length > 1)
        throw new Error(`${trace.name}: more than one image item is not supported`);
      const pixels = entries.some(isImage) ? await clipPixels(trace) : undefined;
      try {
        const items: FuseItem[] = entries.map((e, i) =>
          isImage(e)
            ? { type: 'image', pixels: pixels!, weight: weights[i] }
            : { type: 'text', text: e, weight: weights[i] },
        );
        const result = await runFusePrior(prior, {
          items,
          negativePrompt: m.negative_prompt ?? undefined,
          imagesPerPrompt: 1,
          steps: need(m.num_inference_steps, trace, 'num_inference_steps'),
          guidanceScale: need(m.guidance_scale, trace, 'guidance_scale'),
          noise: trace.noise,
        });
        trace.compare('final.image_embeds', result.imageEmbeds);
        trace.compare('final.negative_image_embeds', result.negativeImageEmbeds);
        tf.dispose([result.imageEmbeds, result.negativeImageEmbeds]);
      } finally {
        pixels?.dispose();
      }
    },
  },
];

import * as tf from '@tensorflow/tfjs';
import { prepareKeepMaskFromArray } from '../image/index.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import { DdimScheduler } from '../schedulers/ddim-scheduler.js';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler.js';
import type { DecoderComponents, PriorComponents } from './components.js';
import { runDecoder } from './decoder-stage.js';
import { runFusePrior } from './fuse-stage.js';
import { runPrior } from './prior-stage.js';
import type { TraceReplay } from './trace-replay-support.js';

/** The components a scenario runs on: fakes replaying the trace, or the real converted tiny models. */
export interface ScenarioComponents {
  prior: PriorComponents;
  decoder: DecoderComponents;
}

/**
 * One reference trace (`test/fixtures/<name>`) rerun through our pipeline stages with the trace's settings and its
 * random draws injected. `run` records every comparison in the trace (`trace.compare`) and releases what it made;
 * the test decides the tolerance (`pipelines.replay.test.ts`: fakes; `pipelines.models.test.ts`: real models).
 */
export interface E2eScenario {
  name: string;
  title: string;
  /** The U-Net the trace used: the 9-channel inpainting one for `e2e_inpaint`. */
  unet: 'unet' | 'unet_inpaint';
  run(trace: TraceReplay, components: ScenarioComponents): Promise<void>;
}

/** The decoder scheduler config the trace was made with (diffusers keys). */
const decoderConfig = (trace: TraceReplay) => (trace.meta.decoder as { scheduler: Record<string, unknown> }).scheduler;

function initImage(trace: TraceReplay): tf.Tensor4D {
  return tf.tidy(
    () => tf.sub(tf.div(trace.tensor('input.init_image_uint8_HWC'), 127.5), 1).expandDims(0) as tf.Tensor4D,
  );
}

/** Decoder-only traces start from the image embeddings the reference's prior produced. */
async function decodeFromSavedEmbeds(
  trace: TraceReplay,
  decoder: DecoderComponents,
  settings: Omit<Parameters<typeof runDecoder>[1], 'prompt' | 'imageEmbeds' | 'negativeImageEmbeds' | 'noise'>,
  extra: tf.Tensor[] = [],
): Promise<void> {
  const imageEmbeds = trace.tensor('input.image_embeds') as tf.Tensor2D;
  const negativeImageEmbeds = trace.tensor('input.negative_image_embeds') as tf.Tensor2D;
  const image = await runDecoder(decoder, {
    ...settings,
    prompt: trace.meta.prompt as string,
    imageEmbeds,
    negativeImageEmbeds,
    noise: trace.noise,
  });
  trace.compare('final.image_np', image);
  tf.dispose([image, imageEmbeds, negativeImageEmbeds, ...extra]);
}

/** Prior then decoder, as the combined pipeline runs them on one noise stream. */
async function priorThenDecoder(
  trace: TraceReplay,
  { prior, decoder }: ScenarioComponents,
  opts: {
    negativePrompt?: string;
    steps: number;
    decoderScheduler: () => ReturnType<typeof createScheduler>;
    compareEmbeds: boolean;
  },
): Promise<void> {
  const prompt = trace.meta.prompt as string;
  const embeds = await runPrior(prior, {
    prompt,
    negativePrompt: opts.negativePrompt,
    imagesPerPrompt: 1,
    steps: opts.steps,
    guidanceScale: 4,
    noise: trace.noise,
    scheduler: trace.scheduler('prior', createScheduler('unclip')),
  });
  if (opts.compareEmbeds) {
    trace.compare('final.image_embeds', embeds.imageEmbeds);
    trace.compare('final.negative_image_embeds', embeds.negativeImageEmbeds);
  }
  const image = await runDecoder(decoder, {
    prompt,
    ...embeds,
    height: 64,
    width: 64,
    steps: opts.steps,
    guidanceScale: 4,
    scheduler: trace.scheduler('decoder', opts.decoderScheduler()),
    noise: trace.noise,
  });
  trace.compare('final.image_np', image);
  tf.dispose([embeds.imageEmbeds, embeds.negativeImageEmbeds, image]);
}

/** Every whole-pipeline trace of the reference harness. */
export const E2E_SCENARIOS: E2eScenario[] = [
  ...(
    [
      ['e2e_text2img', undefined],
      ['e2e_text2img_negprompt', ''],
    ] as const
  ).map(
    ([name, negativePrompt]): E2eScenario => ({
      name,
      title: `prior (negative ${negativePrompt === undefined ? 'zero-image embedding' : 'prompt ""'}) then DDIM decoder`,
      unet: 'unet',
      run: (trace, components) =>
        priorThenDecoder(trace, components, {
          negativePrompt,
          steps: 5,
          decoderScheduler: () => new DdimScheduler(decoderConfig(trace)),
          compareEmbeds: true,
        }),
    }),
  ),
  {
    name: 'e2e_text2img_ddpm',
    title: 'DDPM learned_range decoder (variance channels kept, dynamic thresholding)',
    unet: 'unet',
    run: (trace, { decoder }) =>
      decodeFromSavedEmbeds(trace, decoder, {
        height: 64,
        width: 64,
        steps: 4,
        guidanceScale: 4,
        scheduler: trace.scheduler('decoder', new DdpmScheduler(decoderConfig(trace))),
      }),
  },
  {
    name: 'e2e_img2img',
    title: 'strength 0.3 of 10 steps (noised to t=298 with the pipeline betas, loop 201, 101, 1)',
    unet: 'unet',
    run: (trace, { decoder }) => {
      const init = initImage(trace);
      return decodeFromSavedEmbeds(
        trace,
        decoder,
        {
          height: 64,
          width: 64,
          steps: 10,
          guidanceScale: 7,
          scheduler: trace.scheduler('decoder', new DdimScheduler(decoderConfig(trace))),
          img2img: { image: init, strength: 0.3 },
        },
        [init],
      );
    },
  },
  {
    name: 'e2e_inpaint',
    title: '9-channel input [latents, masked latents, eroded keep-mask], white = repaint',
    unet: 'unet_inpaint',
    run: (trace, { decoder }) => {
      const init = initImage(trace);
      // The reference's ndarray mask path: binarize at 0.5, keep = 1 - mask.
      const keepMask = prepareKeepMaskFromArray(trace.tensors.get('input.mask_image')!.data as Float32Array);
      return decodeFromSavedEmbeds(
        trace,
        decoder,
        {
          height: 64,
          width: 64,
          steps: 5,
          guidanceScale: 4,
          scheduler: trace.scheduler('decoder', new DdimScheduler(decoderConfig(trace))),
          inpaint: { image: init, keepMask },
        },
        [init],
      );
    },
  },
  {
    name: 'e2e_combined',
    title: 'one noise stream shared by prior and decoder (3 + 3 steps)',
    unet: 'unet',
    run: (trace, components) =>
      priorThenDecoder(trace, components, {
        steps: 3,
        decoderScheduler: () => createScheduler('ddim'),
        compareEmbeds: false,
      }),
  },
  {
    name: 'e2e_prior_interpolate',
    title: '0.3 · prior(text) + 0.7 · CLIP(image); negative from the prior run for ""',
    unet: 'unet',
    run: async (trace, { prior }) => {
      const pixels = trace.tensor('prior.image_encoder.001.arg0') as tf.Tensor4D;
      const result = await runFusePrior(prior, {
        items: [
          { type: 'text', text: 'a red cat, 4k photo', weight: 0.3 },
          { type: 'image', pixels, weight: 0.7 },
        ],
        negativePrompt: '',
        imagesPerPrompt: 1,
        steps: 3,
        guidanceScale: 4,
        noise: trace.noise,
      });
      trace.compare('final.image_embeds', result.imageEmbeds);
      trace.compare('final.negative_image_embeds', result.negativeImageEmbeds);
      tf.dispose([pixels, result.imageEmbeds, result.negativeImageEmbeds]);
    },
  },
];

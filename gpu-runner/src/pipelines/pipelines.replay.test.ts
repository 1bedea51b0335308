import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { FIXTURES, fixture } from '../../test/helpers/tensors.js';
import { prepareKeepMaskFromArray } from '../image/index.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import { DdimScheduler } from '../schedulers/ddim-scheduler.js';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler.js';
import { UnclipScheduler } from '../schedulers/unclip-scheduler.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer, type PromptTokenizer } from '../tokenizers/index.js';
import type { DecoderComponents, PriorComponents } from './components.js';
import { runDecoder } from './decoder-stage.js';
import { runFusePrior } from './fuse-stage.js';
import { runPrior } from './prior-stage.js';
import { TraceReplay } from './trace-replay-support.js';

/**
 * Pipeline logic against the reference traces with fake models that return the recorded outputs: every model input
 * (and every scheduler input/output) is what diffusers computed, within this tolerance (float32 arithmetic in a
 * different order; no model error can accumulate because the fakes return the reference outputs). Reached on wasm:
 * ≤ 4.8e-7 over 31-91 checked tensors per trace (0 for img2img, inpaint, combined and interpolate).
 */
const TOL = 2e-6;

/** The decoder scheduler config the trace was made with (diffusers keys). */
const decoderConfig = (trace: TraceReplay) => (trace.meta.decoder as { scheduler: Record<string, unknown> }).scheduler;

let clipTokenizer: PromptTokenizer;
let xlmrTokenizer: PromptTokenizer;
let clipStats: { mean: tf.Tensor; std: tf.Tensor };

beforeAll(async () => {
  await useTestBackend();
  clipTokenizer = await loadClipTokenizer(join(FIXTURES, 'tokenizers', 'clip_tiny'));
  xlmrTokenizer = await loadXlmRobertaTokenizer(join(FIXTURES, 'tokenizers', 'xlmr_tiny'));
  // The fake prior's post_process_latents uses the tiny prior's own clip_mean / clip_std.
  const weights = await fixture('prior', 'model', 'diffusion_pytorch_model.safetensors');
  const stat = (k: string) => tf.tensor(weights.get(k)!.data, weights.get(k)!.shape);
  clipStats = { mean: stat('clip_mean'), std: stat('clip_std') };
});

function priorComponents(trace: TraceReplay): PriorComponents {
  const fakes = trace.fakes();
  return {
    tokenizer: clipTokenizer,
    textEncoder: fakes.priorTextEncoder,
    prior: fakes.prior((x) => tf.tidy(() => tf.add(tf.mul(x, clipStats.std), clipStats.mean)) as tf.Tensor2D, 12),
    imageEncoder: fakes.imageEncoder(28),
  };
}

function decoderComponents(trace: TraceReplay, inChannels = 4): DecoderComponents {
  const fakes = trace.fakes();
  return { tokenizer: xlmrTokenizer, textEncoder: fakes.textEncoder, unet: fakes.unet(inChannels), movq: fakes.movq };
}

function expectClean(trace: TraceReplay): void {
  trace.finish();
  expect(trace.problems).toEqual([]);
  expect(trace.errors.size).toBeGreaterThan(10);
  for (const [name, err] of trace.errors) expect(err, name).toBeLessThan(TOL);
}

describe('pipeline logic replays the reference traces (fake models return the recorded outputs)', () => {
  for (const [name, negativePrompt] of [
    ['e2e_text2img', undefined],
    ['e2e_text2img_negprompt', ''],
  ] as const) {
    it(`${name}: prior (negative ${negativePrompt === undefined ? 'zero-image embedding' : 'prompt ""'}) then DDIM decoder`, async () => {
      const before = tf.memory().numTensors;
      const trace = await TraceReplay.load(name);
      const prompt = trace.meta.prompt as string;
      const prior = await runPrior(priorComponents(trace), {
        prompt,
        negativePrompt,
        imagesPerPrompt: 1,
        steps: 5,
        guidanceScale: 4,
        noise: trace.noise,
        scheduler: trace.scheduler('prior', new UnclipScheduler()),
      });
      trace.compare('final.image_embeds', prior.imageEmbeds);
      trace.compare('final.negative_image_embeds', prior.negativeImageEmbeds);
      const image = await runDecoder(decoderComponents(trace), {
        prompt,
        imageEmbeds: prior.imageEmbeds,
        negativeImageEmbeds: prior.negativeImageEmbeds,
        height: 64,
        width: 64,
        steps: 5,
        guidanceScale: 4,
        scheduler: trace.scheduler('decoder', new DdimScheduler(decoderConfig(trace))),
        noise: trace.noise,
      });
      trace.compare('final.image_np', image);
      tf.dispose([prior.imageEmbeds, prior.negativeImageEmbeds, image]);
      expectClean(trace);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('e2e_text2img_ddpm: DDPM learned_range decoder (variance channels kept, dynamic thresholding)', async () => {
    const trace = await TraceReplay.load('e2e_text2img_ddpm');
    const imageEmbeds = trace.tensor('input.image_embeds') as tf.Tensor2D;
    const negativeImageEmbeds = trace.tensor('input.negative_image_embeds') as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const image = await runDecoder(decoderComponents(trace), {
      prompt: trace.meta.prompt as string,
      imageEmbeds,
      negativeImageEmbeds,
      height: 64,
      width: 64,
      steps: 4,
      guidanceScale: 4,
      scheduler: trace.scheduler('decoder', new DdpmScheduler(decoderConfig(trace))),
      noise: trace.noise,
    });
    trace.compare('final.image_np', image);
    image.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([imageEmbeds, negativeImageEmbeds]);
    expectClean(trace);
  });

  it('e2e_img2img: strength 0.3 of 10 steps (noised to t=298 with the pipeline betas, loop 201, 101, 1)', async () => {
    const trace = await TraceReplay.load('e2e_img2img');
    const imageEmbeds = trace.tensor('input.image_embeds') as tf.Tensor2D;
    const negativeImageEmbeds = trace.tensor('input.negative_image_embeds') as tf.Tensor2D;
    const init = tf.tidy(
      () => tf.sub(tf.div(trace.tensor('input.init_image_uint8_HWC'), 127.5), 1).expandDims(0) as tf.Tensor4D,
    );
    const image = await runDecoder(decoderComponents(trace), {
      prompt: trace.meta.prompt as string,
      imageEmbeds,
      negativeImageEmbeds,
      height: 64,
      width: 64,
      steps: 10,
      guidanceScale: 7,
      scheduler: trace.scheduler('decoder', new DdimScheduler(decoderConfig(trace))),
      noise: trace.noise,
      img2img: { image: init, strength: 0.3 },
    });
    trace.compare('final.image_np', image);
    tf.dispose([image, init, imageEmbeds, negativeImageEmbeds]);
    expectClean(trace);
  });

  it('e2e_inpaint: 9-channel input [latents, masked latents, eroded keep-mask], white = repaint', async () => {
    const trace = await TraceReplay.load('e2e_inpaint');
    const imageEmbeds = trace.tensor('input.image_embeds') as tf.Tensor2D;
    const negativeImageEmbeds = trace.tensor('input.negative_image_embeds') as tf.Tensor2D;
    const init = tf.tidy(
      () => tf.sub(tf.div(trace.tensor('input.init_image_uint8_HWC'), 127.5), 1).expandDims(0) as tf.Tensor4D,
    );
    // The reference's ndarray mask path: binarize at 0.5, keep = 1 - mask.
    const keepMask = prepareKeepMaskFromArray(trace.tensors.get('input.mask_image')!.data as Float32Array);
    const image = await runDecoder(decoderComponents(trace, 9), {
      prompt: trace.meta.prompt as string,
      imageEmbeds,
      negativeImageEmbeds,
      height: 64,
      width: 64,
      steps: 5,
      guidanceScale: 4,
      scheduler: trace.scheduler('decoder', new DdimScheduler(decoderConfig(trace))),
      noise: trace.noise,
      inpaint: { image: init, keepMask },
    });
    trace.compare('final.image_np', image);
    tf.dispose([image, init, imageEmbeds, negativeImageEmbeds]);
    expectClean(trace);
  });

  it('e2e_combined: one noise stream shared by prior and decoder (3 + 3 steps)', async () => {
    const trace = await TraceReplay.load('e2e_combined');
    const prompt = trace.meta.prompt as string;
    const prior = await runPrior(priorComponents(trace), {
      prompt,
      imagesPerPrompt: 1,
      steps: 3,
      guidanceScale: 4,
      noise: trace.noise,
      scheduler: trace.scheduler('prior', createScheduler('unclip')),
    });
    const image = await runDecoder(decoderComponents(trace), {
      prompt,
      ...prior,
      height: 64,
      width: 64,
      steps: 3,
      guidanceScale: 4,
      scheduler: trace.scheduler('decoder', createScheduler('ddim')),
      noise: trace.noise,
    });
    trace.compare('final.image_np', image);
    tf.dispose([prior.imageEmbeds, prior.negativeImageEmbeds, image]);
    expectClean(trace);
  });

  it('e2e_prior_interpolate: 0.3 · prior(text) + 0.7 · CLIP(image); negative from the prior run for ""', async () => {
    const trace = await TraceReplay.load('e2e_prior_interpolate');
    const pixels = trace.tensor('prior.image_encoder.001.arg0') as tf.Tensor4D;
    const result = await runFusePrior(priorComponents(trace), {
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
    expectClean(trace);
  });
});

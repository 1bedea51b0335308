/**
 * Whole text-to-image generations, timed per stage, on the tiny reference models (through `KandinskyPipelines`, from
 * a converted folder) and on a mid-size random-weight config of the same architecture (256x256), plus how many
 * decoder steps DPM-Solver++(2M) and DDIM need to get close to a converged (DDIM 100-step) result from the same
 * noise and embeddings. Prints JSON lines. `npm run bench -- pipeline`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/models/component.js';
import type { LoadedComponent } from '../src/models/load-component.js';
import { componentFor } from '../src/models/registry.js';
import type { DecoderComponents, PriorComponents } from '../src/pipelines/components.js';
import { denoiseLatents } from '../src/pipelines/decoder-stage.js';
import { KandinskyPipelines } from '../src/pipelines/kandinsky-pipelines.js';
import {
  decoderTextEncoderFrom,
  imageEncoderFrom,
  movqFrom,
  priorFrom,
  priorTextEncoderFrom,
  unetFrom,
} from '../src/pipelines/model-adapters.js';
import { type PriorResult, runPrior } from '../src/pipelines/prior-stage.js';
import type { ProgressEvent } from '../src/pipelines/progress.js';
import { SeededNoise } from '../src/random/seeded-noise.js';
import { createScheduler } from '../src/schedulers/create-scheduler.js';
import type { SchedulerName } from '../src/schedulers/scheduler.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer } from '../src/tokenizers/index.js';
import { SHIPPED_FIXTURES } from '../src/verify/fixture-root.js';
import { useTestBackend } from '../test/helpers/backend.js';
import { buildTinyModelFolder } from '../test/helpers/tiny-model-folder.js';
import { randomizeWeights, report } from './util.js';

const PROMPT = 'a red cat, 4k photo';

/** Splits a run's wall time by stage from its progress events (time since the previous event goes to the event's stage). */
function stageClock() {
  const timings: Record<string, number> = {};
  const stepTimes: number[] = [];
  let last = performance.now();
  return {
    timings,
    stepTimes,
    onProgress(e: ProgressEvent) {
      const now = performance.now();
      timings[e.stage] = (timings[e.stage] ?? 0) + (now - last);
      if (e.stage === 'decoder') stepTimes.push(now - last);
      last = now;
    },
  };
}

const round = (v: number) => Math.round(v * 10) / 10;
const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));

async function tinyFacade(): Promise<void> {
  const folder = await buildTinyModelFolder();
  const pipelines = await KandinskyPipelines.load(folder.root);
  try {
    const params = {
      task: 'text2image' as const,
      prompt: PROMPT,
      width: 64,
      height: 64,
      seed: 1,
      steps: 25,
      prior_steps: 25,
    };
    await pipelines.generate({ ...params, steps: 2, prior_steps: 2 }); // warm-up
    const clock = stageClock();
    const result = await pipelines.generate(params, { onProgress: clock.onProgress });
    report({
      name: 'pipeline.text2image.tiny',
      backend: tf.getBackend(),
      size: '64x64',
      prior_steps: 25,
      decoder_steps: 25,
      ms: roundAll(result.timingsMs),
      decoder_step_ms: round(clock.stepTimes.reduce((a, b) => a + b, 0) / clock.stepTimes.length),
    });
  } finally {
    pipelines.dispose();
    await folder.cleanup();
  }
}

/** Builds a component from a config with seeded random weights, as a LoadedComponent the adapters accept. */
function randomComponent(name: string, seed: number): LoadedComponent {
  const config = JSON.parse(
    readFileSync(join(import.meta.dirname, 'pipeline-configs', `${name}.json`), 'utf8'),
  ) as ModelConfig;
  const def = componentFor(config);
  const graphs = def.buildGraphs(config);
  randomizeWeights(Object.values(graphs), seed);
  const parameterCount = Object.values(graphs).reduce((a, g) => a + g.countParams(), 0);
  return {
    kind: def.kind,
    config,
    manifest: { parameterCount } as LoadedComponent['manifest'],
    graphs,
    weightBytes: parameterCount * 4,
    dispose() {
      for (const g of Object.values(graphs)) g.dispose();
    },
  };
}

async function midSize(): Promise<void> {
  const names = ['prior_text_encoder', 'prior', 'image_encoder', 'text_encoder', 'unet', 'movq'];
  const c = Object.fromEntries(names.map((n, i) => [n, randomComponent(n, 100 + i * 1000)])) as Record<
    string,
    LoadedComponent
  >;
  const parameters = Object.fromEntries(names.map((n) => [n, c[n].manifest.parameterCount]));
  const priorModel = priorFrom(c.prior);
  const prior: PriorComponents = {
    tokenizer: await loadClipTokenizer(join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers', 'clip_tiny'), {
      maxLength: priorModel.textLength,
    }),
    textEncoder: priorTextEncoderFrom(c.prior_text_encoder),
    prior: priorModel,
    imageEncoder: imageEncoderFrom(c.image_encoder),
  };
  const decoder: DecoderComponents = {
    tokenizer: await loadXlmRobertaTokenizer(join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers', 'xlmr_tiny')),
    textEncoder: decoderTextEncoderFrom(c.text_encoder),
    unet: unetFrom(c.unet),
    movq: movqFrom(c.movq),
  };
  const size = 256;
  const run = async (priorSteps: number, steps: number, onProgress?: (e: ProgressEvent) => void) => {
    const noise = new SeededNoise(1);
    const embeds = await runPrior(
      prior,
      { prompt: PROMPT, imagesPerPrompt: 1, steps: priorSteps, guidanceScale: 4, noise },
      { onProgress },
    );
    const latents = await denoiseLatents(
      decoder,
      {
        prompt: PROMPT,
        ...embeds,
        height: size,
        width: size,
        steps,
        guidanceScale: 4,
        scheduler: createScheduler('ddim'),
        noise,
      },
      { onProgress },
    );
    const image = decoder.movq.decode(latents);
    onProgress?.({ stage: 'movq', step: 1, totalSteps: 1 });
    tf.dispose([embeds.imageEmbeds, embeds.negativeImageEmbeds, latents, image]);
  };
  try {
    await run(2, 1); // warm-up
    const clock = stageClock();
    const start = performance.now();
    await run(10, 10, clock.onProgress);
    report({
      name: 'pipeline.text2image.mid',
      backend: tf.getBackend(),
      size: `${size}x${size}`,
      parameters,
      prior_steps: 10,
      decoder_steps: 10,
      ms: roundAll({ ...clock.timings, total: performance.now() - start }),
      decoder_step_ms: round(clock.stepTimes.reduce((a, b) => a + b, 0) / clock.stepTimes.length),
      note: 'random weights; the prior and decoder steps include classifier-free guidance (batch 2)',
    });
  } finally {
    for (const component of Object.values(c)) component.dispose();
  }
}

/**
 * DPM-Solver++(2M) vs DDIM: both solve the decoder's probability-flow ODE, so both approach its solution from the same
 * noise and embeddings as steps grow. The converged reference is DPM-Solver++ at 250 steps (second order: its own
 * error is far below the thresholds); DDIM at 250 steps is reported against it as a cross-check that both converge to
 * the same point. Error = RMS latent difference relative to the reference's RMS.
 */
async function solverSteps(): Promise<void> {
  const folder = await buildTinyModelFolder();
  const { loadComponent } = await import('../src/models/load-component.js');
  const load = (n: string) => loadComponent(join(folder.root, n));
  const priorModel = priorFrom(await load('prior'));
  const prior: PriorComponents = {
    tokenizer: await loadClipTokenizer(join(folder.root, 'prior_tokenizer'), { maxLength: priorModel.textLength }),
    textEncoder: priorTextEncoderFrom(await load('prior_text_encoder')),
    prior: priorModel,
    imageEncoder: imageEncoderFrom(await load('image_encoder')),
  };
  const decoder: DecoderComponents = {
    tokenizer: await loadXlmRobertaTokenizer(join(folder.root, 'tokenizer')),
    textEncoder: decoderTextEncoderFrom(await load('text_encoder')),
    unet: unetFrom(await load('unet')),
    movq: movqFrom(await load('movq')),
  };
  const embeds: PriorResult = await runPrior(prior, {
    prompt: PROMPT,
    imagesPerPrompt: 1,
    steps: 25,
    guidanceScale: 4,
    noise: new SeededNoise(5),
  });
  const sample = async (scheduler: SchedulerName, steps: number) => {
    const start = performance.now();
    const latents = await denoiseLatents(decoder, {
      prompt: PROMPT,
      ...embeds,
      height: 64,
      width: 64,
      steps,
      guidanceScale: 4,
      scheduler: createScheduler(scheduler),
      noise: new SeededNoise(7),
    });
    return { latents, ms: performance.now() - start };
  };
  const reference = (await sample('dpmpp_2m', 250)).latents;
  const refRms = tf.tidy(() => tf.sqrt(tf.mean(tf.square(reference))).dataSync()[0]);
  const relative = (latents: tf.Tensor) =>
    tf.tidy(() => tf.sqrt(tf.mean(tf.square(tf.sub(latents, reference)))).dataSync()[0]) / refRms;
  const thresholds = [0.1, 0.05, 0.02];
  const needed: Record<string, Record<string, number | null>> = {};
  for (const scheduler of ['ddim', 'dpmpp_2m'] as const) {
    const points: { steps: number; relative_rms_error: number; ms: number }[] = [];
    for (const steps of [5, 10, 15, 20, 30, 50, 100, 250]) {
      if (scheduler === 'dpmpp_2m' && steps === 250) continue;
      const { latents, ms } = await sample(scheduler, steps);
      const err = relative(latents);
      latents.dispose();
      points.push({ steps, relative_rms_error: Number(err.toPrecision(3)), ms: round(ms) });
    }
    needed[scheduler] = Object.fromEntries(
      thresholds.map((t) => [`steps_for_${t}`, points.find((p) => p.relative_rms_error <= t)?.steps ?? null]),
    );
    report({
      name: `pipeline.solver.${scheduler}`,
      model: 'tiny',
      size: '64x64',
      reference: 'dpmpp_2m 250 steps',
      points,
    });
  }
  report({ name: 'pipeline.solver.steps_needed', model: 'tiny', ...needed });
  tf.dispose([reference, embeds.imageEmbeds, embeds.negativeImageEmbeds]);
  await folder.cleanup();
}

await useTestBackend();
const only = process.env.PIPELINE_BENCH;
if (!only || only === 'tiny') await tinyFacade();
if (!only || only === 'solver') await solverSteps();
if (!only || only === 'mid') await midSize();

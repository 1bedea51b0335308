import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { quickRequest } from '../../test/helpers/quick-request.js';
import { buildTinyModelFolder } from '../../test/helpers/tiny-model-folder.js';
import { decodeImage, encodeImage } from '../image/index.js';
import { type GenerationResult, KandinskyPipelines } from './kandinsky-pipelines.js';
import { GenerationCancelledError, PipelineParamError } from './pipeline-errors.js';
import { loadPipelineModels, type PipelineModels } from './pipeline-models.js';
import type { ProgressEvent } from './progress.js';

let folder: { root: string; cleanup(): Promise<void> };
let models: PipelineModels;
let pipelines: KandinskyPipelines;

/** A small, fast text2image request on the tiny models (default guidance 4, so both guidance batches run). */
const quick = quickRequest;

/** The models the pipelines were composed from, for call counting. */
function adapters(_pipelines: KandinskyPipelines) {
  return { unet: models.unets.text2image, prior: models.prior.prior };
}

/** Decoded RGB pixels of every image of every result, in order. */
async function pixels(results: GenerationResult[]): Promise<Buffer[][]> {
  return Promise.all(
    results.map((r) => Promise.all(r.images.map(async (i) => Buffer.from((await decodeImage(i.bytes)).data)))),
  );
}

beforeAll(async () => {
  await useTestBackend();
  folder = await buildTinyModelFolder();
  models = await loadPipelineModels(folder.root);
  pipelines = new KandinskyPipelines(models);
  await pipelines.generate(quick()); // warm-up: layers cache constants on first use
});
afterAll(async () => {
  pipelines?.dispose();
  await folder?.cleanup();
});

describe('KandinskyPipelines.generateMany (tiny converted models)', () => {
  it('gives each request of a batch the exact pixels it gets alone, with one prior and one U-Net call per step for the whole batch', async () => {
    const requests = [
      quick({ prompt: 'a red cat, 4k photo', seed: 3, n: 2 }),
      quick({ prompt: 'a blue dog on grass', seed: 11, n: 1, output_format: 'webp' }),
      quick({ prompt: 'mountains at dawn', seed: 42, n: 1 }),
    ];
    const alone: GenerationResult[] = [];
    for (const r of requests) alone.push(await pipelines.generate(r));

    const baseline = tf.memory().numTensors;
    const { unet, prior } = adapters(pipelines);
    const unetCall = vi.spyOn(unet, 'predict');
    const priorCall = vi.spyOn(prior, 'predict');
    const events: ProgressEvent[] = [];
    let together: GenerationResult[];
    try {
      together = await pipelines.generateMany(requests, { onProgress: (e) => events.push(e) });
      // 4 images, guidance doubles the batch: one U-Net call of 8 rows per decoder step, one prior call per prior step.
      expect(unetCall).toHaveBeenCalledTimes(2);
      for (const [input] of unetCall.mock.calls) expect((input as { sample: tf.Tensor }).sample.shape[0]).toBe(8);
      expect(priorCall).toHaveBeenCalledTimes(2);
      for (const [input] of priorCall.mock.calls) expect((input as { latents: tf.Tensor }).latents.shape[0]).toBe(8);
    } finally {
      unetCall.mockRestore();
      priorCall.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    const steps = (stage: string) => events.filter((e) => e.stage === stage).map((e) => `${e.step}/${e.totalSteps}`);
    expect(steps('prior')).toEqual(['1/2', '2/2']);
    expect(steps('decoder')).toEqual(['1/2', '2/2']);
    expect(steps('movq')).toEqual(['1/1']);

    expect(together.map((r) => r.images.map((i) => [i.seed, i.contentType]))).toEqual([
      [
        [3, 'image/png'],
        [4, 'image/png'],
      ],
      [[11, 'image/webp']],
      [[42, 'image/png']],
    ]);
    expect(together.map((r) => r.parameters.prompt)).toEqual(requests.map((r) => r.prompt));
    // WebP is lossy but deterministic, so equal pixels in give equal bytes out; compare decoded pixels anyway.
    const batched = await pixels(together);
    const single = await pixels(alone);
    for (const [r, images] of batched.entries()) {
      for (const [i, image] of images.entries())
        expect(image.equals(single[r][i]), `request ${r} image ${i}`).toBe(true);
    }
    expect(batched[0][0].equals(batched[1][0])).toBe(false);
  });

  it('keeps each request its own negative prompt and step noise (DDPM) in a batch', async () => {
    const requests = [
      quick({ prompt: 'a red cat', negative_prompt: 'blurry', seed: 7, scheduler: 'ddpm' }),
      quick({ prompt: 'a red cat', negative_prompt: 'low quality, text', seed: 7, n: 2, scheduler: 'ddpm' }),
    ];
    const alone: GenerationResult[] = [];
    for (const r of requests) alone.push(await pipelines.generate(r));
    const baseline = tf.memory().numTensors;
    const together = await pipelines.generateMany(requests);
    expect(tf.memory().numTensors).toBe(baseline);
    const batched = await pixels(together);
    const single = await pixels(alone);
    expect(batched.map((r) => r.length)).toEqual([1, 2]);
    for (const [r, images] of batched.entries()) {
      for (const [i, image] of images.entries())
        expect(image.equals(single[r][i]), `request ${r} image ${i}`).toBe(true);
    }
    // Same prompt and seed, different negative prompt: different images.
    expect(batched[0][0].equals(batched[1][0])).toBe(false);
  });

  it('refuses a batch of different shapes, or of another task, before any compute', async () => {
    const { unet, prior } = adapters(pipelines);
    const unetCall = vi.spyOn(unet, 'predict');
    const priorCall = vi.spyOn(prior, 'predict');
    const baseline = tf.memory().numTensors;
    try {
      const steps = pipelines.generateMany([quick(), quick({ prompt: 'a dog', steps: 3 })]);
      await expect(steps).rejects.toBeInstanceOf(PipelineParamError);
      await expect(pipelines.generateMany([quick(), quick({ steps: 3 })])).rejects.toThrow(
        /steps.*request 0: 2, request 1: 3/,
      );
      await expect(pipelines.generateMany([quick(), quick({ width: 128 })])).rejects.toThrow(/width/);
      await expect(pipelines.generateMany([quick(), quick({ negative_prompt: 'x' })])).rejects.toThrow(
        /negative_prompt_given/,
      );
      const image = await encodeImage(
        { width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3).fill(90) },
        'png',
      );
      await expect(pipelines.generateMany([quick({ task: 'variation', image }), quick()])).rejects.toThrow(
        /only text2image/,
      );
      await expect(pipelines.generateMany([quick(), quick({ n: 9 })])).rejects.toThrow(/\bn\b/);
      await expect(pipelines.generateMany([])).rejects.toBeInstanceOf(PipelineParamError);
      expect(unetCall).not.toHaveBeenCalled();
      expect(priorCall).not.toHaveBeenCalled();
    } finally {
      unetCall.mockRestore();
      priorCall.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('cancels the whole batch through the shared signal and releases every tensor', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const run = pipelines.generateMany([quick({ steps: 6 }), quick({ prompt: 'a dog', seed: 5, steps: 6 })], {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === 'decoder' && e.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(GenerationCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

/**
 * Batched text2image against one request at a time, on the random-weight model the runner serves without real
 * weights: the same requests (different prompts and seeds, equal shapes) generated one by one with
 * `KandinskyPipelines.generate`, then as one pass with `generateMany`. Prints one JSON line per batch size with both
 * wall times and the images per second of each. Knobs: BATCH_SIZES (default "2,4"), BATCH_SIDE (pixels, 128),
 * BATCH_STEPS (decoder and prior steps, 10). `npm run bench -- batch`.
 */
import * as tf from '@tensorflow/tfjs';
import type { GenerationParams } from '../src/pipelines/generation-request.js';
import { report, timeOnce, withRandomModelPipelines } from './util.js';

const SIZES = (process.env.BATCH_SIZES ?? '2,4').split(',').map(Number);
const SIDE = Number(process.env.BATCH_SIDE ?? 128);
const STEPS = Number(process.env.BATCH_STEPS ?? 10);

const request = (i: number): GenerationParams => ({
  task: 'text2image',
  prompt: `batch bench prompt ${i}`,
  seed: 100 + i,
  width: SIDE,
  height: SIDE,
  steps: STEPS,
  prior_steps: STEPS,
});

await withRandomModelPipelines(async (pipelines) => {
  await pipelines.generateMany([request(0), request(1)]); // warm-up: kernels and layer constants
  for (const size of SIZES) {
    const requests = Array.from({ length: size }, (_, i) => request(i));
    const sequentialS = await timeOnce(async () => {
      for (const r of requests) await pipelines.generate(r);
    });
    const batchedS = await timeOnce(async () => {
      await pipelines.generateMany(requests);
    });
    report({
      name: 'pipeline.text2image.batch',
      backend: tf.getBackend(),
      model: 'random-weights small config',
      size: `${SIDE}x${SIDE}`,
      steps: STEPS,
      prior_steps: STEPS,
      jobs: size,
      sequential_s: Math.round(sequentialS * 100) / 100,
      batched_s: Math.round(batchedS * 100) / 100,
      sequential_images_per_s: Math.round((size / sequentialS) * 100) / 100,
      batched_images_per_s: Math.round((size / batchedS) * 100) / 100,
    });
  }
});

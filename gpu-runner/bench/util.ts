import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModuleLayer } from '../src/layers/module-layer.js';
import { KandinskyPipelines } from '../src/pipelines/kandinsky-pipelines.js';
import { buildRandomModel } from '../src/service/random-model/build-random-model.js';
import { useTestBackend } from '../test/helpers/backend.js';

/** Prints one benchmark result as a JSON line (the format every `npm run bench` script uses). */
export function report(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}

/** Fills every weight of the models with seeded uniform noise scaled by fan-in (so activations stay finite). */
export function randomizeWeights(models: tf.LayersModel[], seed = 1): void {
  let s = seed;
  for (const model of models) {
    for (const layer of model.layers) {
      if (!(layer instanceof ModuleLayer)) continue;
      for (const w of layer.weights) {
        const shape = w.shape as number[];
        const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
        const scale = shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.1;
        const t = tf.tidy(() => {
          const r = tf.randomUniform(shape, -scale, scale, 'float32', s++);
          // Norm gains around 1, biases near 0.
          return /weight$/.test(w.originalName) && shape.length === 1 ? tf.add(r, 1) : r;
        });
        w.write(t);
        t.dispose();
      }
    }
  }
}

/** Times `fn` once (after the caller's warm-up), in seconds. */
export async function timeOnce(fn: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/**
 * Runs `use` with the pipelines of the random-weight model `npm start` serves (built in a temp folder, on the test
 * backend), then disposes them and removes the folder.
 */
export async function withRandomModelPipelines(use: (pipelines: KandinskyPipelines) => Promise<void>): Promise<void> {
  await useTestBackend();
  const dir = await mkdtemp(join(tmpdir(), 'kd-bench-model-'));
  try {
    const model = await buildRandomModel(join(dir, 'model'));
    const pipelines = await KandinskyPipelines.load(model.dir);
    try {
      await use(pipelines);
    } finally {
      pipelines.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

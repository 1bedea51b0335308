/**
 * One prior denoising step (batch 2: classifier-free guidance) with the full-size Kandinsky 2.1 PriorTransformer
 * width (2048, 32 heads, 81 tokens) and random weights, on the active backend. `PRIOR_BENCH_LAYERS` (default 4;
 * the real model has 20) bounds memory; the full-step figure is extrapolated from the per-layer time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { priorDefinition } from '../src/models/prior/prior.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report, timeOnce } from './util.js';

// As the runner runs: wasm on one XNNPACK thread per core (KANDINSKY_WASM_THREADS pins another count).
const info = await initBackend({ wasmThreads: 'auto' });
const full = JSON.parse(
  readFileSync(join(import.meta.dirname, '../test/fixtures/full-keys/prior_config.json'), 'utf8'),
);
const fullLayers = full.num_layers ?? 20;
const measure = async (layers: number) => {
  const { main } = priorDefinition.buildGraphs({ ...full, num_layers: layers });
  randomizeWeights([main]);
  const inputs = () => [
    tf.randomNormal([2, 768], 0, 1, 'float32', 1),
    tf.tensor2d([[999], [999]]),
    tf.randomNormal([2, 768], 0, 1, 'float32', 2),
    tf.randomNormal([2, 77, 768], 0, 1, 'float32', 3),
    tf.tensor2d(Array.from({ length: 2 }, () => Array.from({ length: 77 }, (_, i) => (i < 12 ? 1 : 0)))),
  ];
  const run = () => tf.tidy(() => void (main.predict(inputs()) as tf.Tensor).dataSync());
  run(); // warm-up
  const seconds = await timeOnce(run);
  const parameters = main.countParams();
  main.dispose();
  return { seconds, parameters };
};
const layers = Number(process.env.PRIOR_BENCH_LAYERS ?? 4);
const few = await measure(1);
const many = await measure(layers);
const perLayer = (many.seconds - few.seconds) / Math.max(layers - 1, 1);
report({
  name: 'prior_step',
  backend: info.choice,
  threads: info.threads,
  batch: 2,
  layers,
  parameters: many.parameters,
  seconds: Number(many.seconds.toFixed(3)),
  seconds_per_layer: Number(perLayer.toFixed(3)),
  full_step_seconds_estimate: Number((few.seconds + perLayer * (fullLayers - 1)).toFixed(3)),
  note: `full-size width, ${layers} of ${fullLayers} layers, random weights; the 20-layer step is extrapolated`,
});

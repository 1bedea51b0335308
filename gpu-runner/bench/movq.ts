/**
 * MoVQ decode time for a 64×64 latent (batch 1 -> a 512×512 image) with the full-size Kandinsky 2.1 MoVQ config
 * and random weights, on the active backend.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { movqDefinition } from '../src/models/movq/movq.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report, timeOnce } from './util.js';

const info = await initBackend();
const config = JSON.parse(
  readFileSync(join(import.meta.dirname, '../test/fixtures/full-keys/movq_config.json'), 'utf8'),
);
const { decoder } = movqDefinition.buildGraphs(config);
randomizeWeights([decoder]);
const run = (size: number) =>
  tf.tidy(() => {
    const z = tf.randomNormal([1, size, size, 4], 0, 1, 'float32', 3);
    return (decoder.predict(z) as tf.Tensor).dataSync();
  });
run(8); // warm-up: kernels compiled, weights uploaded
const size = Number(process.env.MOVQ_BENCH_LATENT ?? 64);
const seconds = await timeOnce(() => void run(size));
report({
  name: 'movq_decode',
  backend: info.choice,
  latent: [1, size, size, 4],
  image: [1, size * 8, size * 8, 3],
  parameters: decoder.countParams(),
  seconds: Number(seconds.toFixed(3)),
  note: 'full-size MoVQ config, random weights; tfjs-node-gpu runs the same graph on cuDNN',
});
decoder.dispose();

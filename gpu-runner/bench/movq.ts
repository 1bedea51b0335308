/**
 * MoVQ decode time for a 64×64 latent (batch 1 -> a 512×512 image) with the full-size Kandinsky 2.1 MoVQ config
 * and random weights, on the active backend.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AttentionBlock } from '../src/layers/attention-block.js';
import { Conv2dLayer } from '../src/layers/conv2d-layer.js';
import { SpatialNormLayer } from '../src/layers/norm-layers.js';
import { ResnetBlock2D } from '../src/layers/resnet-block.js';
import { movqDefinition } from '../src/models/movq/movq.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report, timeOnce } from './util.js';

// As the runner runs: wasm on one XNNPACK thread per core (KANDINSKY_WASM_THREADS pins another count).
const info = await initBackend({ wasmThreads: 'auto' });

/**
 * Multiply-adds x 2 of every conv and matmul of the decoder for an `h`x`w` latent (batch 1), walking its layers in
 * order (the decoder is a chain; only upsampling convs change the resolution). Element-wise work is left out.
 */
function decoderFlops(model: tf.LayersModel, h: number, w: number): number {
  let hw = h * w;
  let flops = 0;
  const conv = (pixels: number, k: number, cin: number, cout: number) => 2 * pixels * k * k * cin * cout;
  const spatialNormConvs = (c: number) => 2 * conv(hw, 1, 4, c);
  for (const layer of model.layers) {
    if (layer instanceof Conv2dLayer) {
      const { kernelSize, inChannels, outChannels, preUpsample = 1 } = layer.cfg;
      hw *= preUpsample * preUpsample;
      flops += conv(hw, kernelSize, inChannels, outChannels);
    } else if (layer instanceof ResnetBlock2D) {
      const { inChannels: cin, outChannels: cout, norm } = layer.cfg;
      flops += conv(hw, 3, cin, cout) + conv(hw, 3, cout, cout) + (cin !== cout ? conv(hw, 1, cin, cout) : 0);
      if (norm === 'spatial') flops += spatialNormConvs(cin) + spatialNormConvs(cout);
    } else if (layer instanceof AttentionBlock) {
      const c = layer.cfg.channels;
      flops += 4 * 2 * hw * c * c + 2 * 2 * hw * hw * c + (layer.cfg.norm === 'spatial' ? spatialNormConvs(c) : 0);
    } else if (layer instanceof SpatialNormLayer) {
      flops += spatialNormConvs(layer.cfg.channels);
    }
  }
  return flops;
}
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
  threads: info.threads,
  latent: [1, size, size, 4],
  image: [1, size * 8, size * 8, 3],
  parameters: decoder.countParams(),
  flops: decoderFlops(decoder, size, size),
  seconds: Number(seconds.toFixed(3)),
  gflops_per_s: Number((decoderFlops(decoder, size, size) / 1e9 / seconds).toFixed(2)),
  note: 'full-size MoVQ config, random weights; tfjs-node-gpu runs the same graph on cuDNN',
});
decoder.dispose();

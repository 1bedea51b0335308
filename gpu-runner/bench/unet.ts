/**
 * One U-Net step (batch 2, the guidance batch) for a mid-size Kandinsky 2.1 config that fits wasm: channels
 * [192, 384, 576, 768], 3 layers per block, a 64×64 latent, 77 text tokens, random weights. Reports the step's FLOPs
 * and GFLOP/s, and the time the step's own convolutions and matmuls take when run alone on this backend (each
 * distinct shape measured once), so `overhead_ratio` shows what the rest of the graph costs on top.
 *
 * Env: UNET_BENCH_LATENT (default 64), UNET_BENCH_PROFILE=1 adds a per-kernel time breakdown line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseUNetConfig } from '../src/models/unet/unet-config.js';
import { buildUNet } from '../src/models/unet/unet.js';
import { runUNet, type UNetInputs } from '../src/models/unet/unet-step.js';
import { type Work, unetWorkload, workFlops, workShapeKey } from '../src/models/unet/unet-workload.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report, timeOnce } from './util.js';

const BATCH = 2;
const TEXT_TOKENS = 77;
const latent = Number(process.env.UNET_BENCH_LATENT ?? 64);

const info = await initBackend();
const full = JSON.parse(readFileSync(join(import.meta.dirname, '../test/fixtures/full-keys/unet_config.json'), 'utf8'));
const raw = { ...full, block_out_channels: [192, 384, 576, 768], layers_per_block: 3 };
const config = parseUNetConfig(raw);
const model = buildUNet(config);
randomizeWeights([model]);

const inputs: UNetInputs = {
  sample: tf.randomNormal([BATCH, latent, latent, config.in_channels], 0, 1, 'float32', 1),
  timestep: tf.tensor1d([981, 981]),
  textHidden: tf.randomNormal([BATCH, TEXT_TOKENS, config.encoder_hid_dim], 0, 1, 'float32', 2),
  textEmbeds: tf.randomNormal([BATCH, config.cross_attention_dim], 0, 1, 'float32', 3),
  imageEmbeds: tf.randomNormal([BATCH, config.cross_attention_dim], 0, 1, 'float32', 4),
};
const step = (x: UNetInputs) => {
  const out = runUNet(model, x);
  out.dataSync();
  out.dispose();
};

// Warm-up on a small latent: XNNPACK creates its operators and packs every weight once (kept across sizes), at a
// fraction of a full step's cost.
const small = { ...inputs, sample: tf.randomNormal([BATCH, 16, 16, config.in_channels], 0, 1, 'float32', 5) as tf.Tensor4D };
const warmupSeconds = await timeOnce(() => step(small));
small.sample.dispose();
const seconds = await timeOnce(() => step(inputs));

const attentionShapes = info.choice === 'wasm' ? 'per-head' : 'batched';
const work = unetWorkload(config, BATCH, latent, latent, TEXT_TOKENS, attentionShapes);
const flops = work.reduce((a, w) => a + workFlops(w), 0);
const kernelSeconds = measureKernels(work);
const convMatmulSeconds = [...kernelSeconds.values()].reduce((a, s) => a + s.seconds, 0);

report({
  name: 'unet_step',
  backend: info.choice,
  config: { block_out_channels: config.block_out_channels, layers_per_block: config.layers_per_block, parameters: model.countParams() },
  latent: [BATCH, latent, latent, config.in_channels],
  batch: BATCH,
  flops,
  seconds: round(seconds),
  warmup_seconds_16x16: round(warmupSeconds),
  gflops_per_s: round(flops / seconds / 1e9),
  conv_matmul_seconds_at_measured_throughput: round(convMatmulSeconds),
  conv_matmul_gflops_per_s: round(flops / convMatmulSeconds / 1e9),
  overhead_ratio: round(seconds / convMatmulSeconds),
  reference_seconds: { pytorch_cpu_2_threads: 4.2 },
  note: noteFor(info.choice),
});
report({
  name: 'unet_step_kernels',
  backend: info.choice,
  by_kind: summarize(kernelSeconds),
});
if (process.env.UNET_BENCH_PROFILE === '1') {
  const profile = await tf.profile(() => {
    step(inputs);
    return [];
  });
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  report({
    name: 'unet_step_profile',
    backend: info.choice,
    kernel_ms: Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)])),
  });
}
tf.dispose(Object.values(inputs));
model.dispose();

/** Times every distinct conv/matmul shape of the step once (after a warm-up run) as the plain backend kernel. */
function measureKernels(items: Work[]): Map<string, { seconds: number; flops: number; kind: string }> {
  const byShape = new Map<string, { item: Work; repeats: number }>();
  for (const item of items) {
    const key = workShapeKey(item);
    const repeats = item.kind === 'matmul' ? item.count : 1;
    const seen = byShape.get(key);
    if (seen) seen.repeats += repeats;
    else byShape.set(key, { item, repeats });
  }
  const result = new Map<string, { seconds: number; flops: number; kind: string }>();
  for (const [key, { item, repeats }] of byShape) {
    const once = timeKernel(item);
    const single = item.kind === 'matmul' ? workFlops({ ...item, count: 1 }) : workFlops(item);
    result.set(key, { seconds: once * repeats, flops: single * repeats, kind: item.where.split('.').pop() ?? item.kind });
  }
  return result;
}

/**
 * One run of a conv or 2-D matmul of the item's shape, in seconds (operands made and freed outside the timing).
 * Weight operands (conv filters, projection matrices) are packed by a warm-up on a tiny input first, as they are
 * after the step's own warm-up; the attention matmuls, whose right operand is a fresh activation every call, are
 * timed cold, packing included, as the step runs them.
 */
function timeKernel(item: Work): number {
  const activationOperand = /scores|weighted_values/.test(item.where);
  if (item.kind === 'conv') {
    const filter = tf.randomNormal([item.k, item.k, item.cin, item.cout]) as tf.Tensor4D;
    const run = (size: number) => {
      const x = tf.randomNormal([item.batch, size, size === item.h ? item.w : size, item.cin]) as tf.Tensor4D;
      const start = performance.now();
      const y = tf.conv2d(x, filter, 1, 'same');
      y.dataSync();
      const s = (performance.now() - start) / 1000;
      tf.dispose([x, y]);
      return s;
    };
    run(Math.min(4, item.h));
    const seconds = run(item.h);
    filter.dispose();
    return seconds;
  }
  const b = tf.randomNormal([item.k, item.n]) as tf.Tensor2D;
  const run = (rows: number) => {
    const a = tf.randomNormal([rows, item.k]) as tf.Tensor2D;
    const start = performance.now();
    const y = tf.matMul(a, b);
    y.dataSync();
    const s = (performance.now() - start) / 1000;
    tf.dispose([a, y]);
    return s;
  };
  if (!activationOperand) run(1);
  const seconds = run(item.m);
  b.dispose();
  return seconds;
}

function summarize(m: Map<string, { seconds: number; flops: number; kind: string }>) {
  const groups = new Map<string, { seconds: number; flops: number }>();
  for (const v of m.values()) {
    const g = groups.get(v.kind) ?? { seconds: 0, flops: 0 };
    g.seconds += v.seconds;
    g.flops += v.flops;
    groups.set(v.kind, g);
  }
  return Object.fromEntries(
    [...groups].map(([k, g]) => [k, { seconds: round(g.seconds), gflop: round(g.flops / 1e9), gflops_per_s: round(g.flops / g.seconds / 1e9) }]),
  );
}

function noteFor(backend: string): string {
  const common = 'mid-size config, random weights; FLOPs = 2 x multiply-adds of every conv and matmul (attention included)';
  if (backend === 'wasm') {
    return `${common}. wasm: XNNPACK single-threaded (tfjs disables wasm threads in Node); attention runs as 2-D matmuls per batch row and head because batched/transposed matmuls fall to a scalar loop here. On tfjs-node-gpu the same graph runs cuDNN convs and batched cuBLAS matmuls, where the per-head split is not needed and element-wise ops are far cheaper relative to convs.`;
  }
  return `${common}. Measured on ${backend}.`;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

/**
 * One U-Net step (batch 2, the guidance batch) for a mid-size Kandinsky 2.1 config that fits wasm: channels
 * [192, 384, 576, 768], 3 layers per block, a 64×64 latent, 77 text tokens, random weights. Reports the step's FLOPs
 * and GFLOP/s, and the time the step's own convolutions and matmuls take when run alone on this backend (each
 * distinct shape measured once), so `overhead_ratio` shows what the rest of the graph costs on top.
 *
 * Wall-clock figures swing with whatever else runs on the machine, so each is also given as this process's CPU time
 * (`*_cpu_*`), which is far steadier on a shared box; `load_average` says how busy the machine was.
 *
 * Threads: by default the step runs as the runner runs it, on every core (wasm: one XNNPACK thread per core, the
 * runtime shim of src/tf/wasm-threads.ts); on wasm with more than one core the same step is also timed on ONE thread
 * in a child process (threads are fixed per process) and printed beside it (`one_thread`, `speedup_vs_one_thread`).
 * KANDINSKY_WASM_THREADS=n pins the count (and skips the comparison).
 *
 * Env: UNET_BENCH_LATENT (default 64); UNET_BENCH_PROFILE=1 adds a per-kernel breakdown of one more step.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildUNet } from '../src/models/unet/unet.js';
import { parseUNetConfig } from '../src/models/unet/unet-config.js';
import { runUNet, type UNetInputs } from '../src/models/unet/unet-step.js';
import { unetWorkload, type Work, workFlops, workShapeKey } from '../src/models/unet/unet-workload.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report } from './util.js';

const BATCH = 2;
const TEXT_TOKENS = 77;
const latent = Number(process.env.UNET_BENCH_LATENT ?? 64);

/** Wall-clock and process CPU seconds of one measured stretch. */
interface Timing {
  wall: number;
  cpu: number;
}

function measure(fn: () => void): Timing {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  fn();
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** The flag of the child process that times the step on one wasm thread. */
const ONE_THREAD = '--one-thread-step';
const oneThreadChild = process.argv.includes(ONE_THREAD);

/** The step on one thread, in a child process (the parent's threads stay idle meanwhile). */
function oneThreadStep(): { seconds: number; cpu_seconds: number; threads: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, ONE_THREAD], {
    env: { ...process.env, KANDINSKY_BACKEND: 'wasm', KANDINSKY_WASM_THREADS: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`one-thread step exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const info = await initBackend({ wasmThreads: 'auto' });
// Only wasm has a thread count to compare, and only when it was not pinned (KANDINSKY_WASM_THREADS).
const compareWith =
  !oneThreadChild && info.choice === 'wasm' && (info.threads ?? 1) > 1 && !process.env.KANDINSKY_WASM_THREADS
    ? oneThreadStep()
    : undefined;
const loadAtStart = loadavg()[0];
const full = JSON.parse(readFileSync(join(import.meta.dirname, '../test/fixtures/full-keys/unet_config.json'), 'utf8'));
const config = parseUNetConfig({ ...full, block_out_channels: [192, 384, 576, 768], layers_per_block: 3 });
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

// Warm-up on a small latent: XNNPACK creates its operators and packs every weight once (kept across sizes), and the
// attention blocks cut their per-head weights, at a fraction of a full step's cost.
const small = {
  ...inputs,
  sample: tf.randomNormal([BATCH, 16, 16, config.in_channels], 0, 1, 'float32', 5) as tf.Tensor4D,
};
const warmup = measure(() => step(small));
small.sample.dispose();
const timed = measure(() => step(inputs));
if (oneThreadChild) {
  console.log(JSON.stringify({ seconds: timed.wall, cpu_seconds: timed.cpu, threads: info.threads }));
  process.exit(0);
}

const work = unetWorkload(config, BATCH, latent, latent, TEXT_TOKENS, info.choice === 'wasm' ? 'per-head' : 'batched');
const flops = work.reduce((a, w) => a + workFlops(w), 0);
const kernels = measureKernels(work);
const kernelTotal = [...kernels.values()].reduce((a, k) => ({ wall: a.wall + k.wall, cpu: a.cpu + k.cpu }), {
  wall: 0,
  cpu: 0,
});

report({
  name: 'unet_step',
  backend: info.choice,
  config: {
    block_out_channels: config.block_out_channels,
    layers_per_block: config.layers_per_block,
    attention_head_dim: config.attention_head_dim[0],
    parameters: model.countParams(),
  },
  threads: info.threads,
  latent: [BATCH, latent, latent, config.in_channels],
  batch: BATCH,
  flops,
  seconds: round(timed.wall),
  cpu_seconds: round(timed.cpu),
  gflops_per_s: round(flops / timed.wall / 1e9),
  gflops_per_cpu_s: round(flops / timed.cpu / 1e9),
  ...(compareWith
    ? {
        one_thread: {
          seconds: round(compareWith.seconds),
          cpu_seconds: round(compareWith.cpu_seconds),
          gflops_per_s: round(flops / compareWith.seconds / 1e9),
        },
        speedup_vs_one_thread: round(compareWith.seconds / timed.wall),
      }
    : {}),
  conv_matmul_seconds_at_measured_throughput: round(kernelTotal.wall),
  conv_matmul_cpu_seconds_at_measured_throughput: round(kernelTotal.cpu),
  overhead_ratio: round(timed.wall / kernelTotal.wall),
  overhead_ratio_cpu: round(timed.cpu / kernelTotal.cpu),
  warmup_seconds_16x16: round(warmup.wall),
  load_average: [round(loadAtStart), round(loadavg()[0])],
  reference_seconds: { pytorch_cpu_2_threads: [4.3, 4.8] },
  note: noteFor(info.choice, info.threads),
});
report({ name: 'unet_step_kernels', backend: info.choice, by_kind: summarize(kernels) });
if (process.env.UNET_BENCH_PROFILE === '1') {
  const profile = await tf.profile(() => {
    step(inputs);
    return [];
  });
  const byKernel = new Map<string, number>();
  // Fused ops appear twice (the op and its kernel); count kernels only.
  for (const k of profile.kernels.filter((k) => !k.name.endsWith('__op'))) {
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  }
  report({
    name: 'unet_step_profile',
    backend: info.choice,
    kernel_ms: Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)])),
  });
}
tf.dispose(Object.values(inputs));
model.dispose();

interface KernelTime extends Timing {
  flops: number;
  kind: string;
}

/** Times every distinct conv/matmul shape of the step once, scaled by how often the step runs it. */
function measureKernels(items: Work[]): Map<string, KernelTime> {
  const byShape = new Map<string, { item: Work; repeats: number }>();
  for (const item of items) {
    const key = workShapeKey(item);
    const repeats = item.kind === 'matmul' ? item.count : 1;
    const seen = byShape.get(key);
    if (seen) seen.repeats += repeats;
    else byShape.set(key, { item, repeats });
  }
  const result = new Map<string, KernelTime>();
  for (const [key, { item, repeats }] of byShape) {
    const once = timeKernel(item);
    const single = item.kind === 'matmul' ? workFlops({ ...item, count: 1 }) : workFlops(item);
    result.set(key, {
      wall: once.wall * repeats,
      cpu: once.cpu * repeats,
      flops: single * repeats,
      kind: item.where.split('.').pop() ?? item.kind,
    });
  }
  return result;
}

/**
 * One run of a conv or 2-D matmul of the item's shape (operands made and freed outside the timing). Weight operands
 * (conv filters, projection matrices) are packed by a warm-up on a tiny input first, as they are after the step's
 * own warm-up; the attention matmuls, whose right operand is a fresh activation every call, are timed cold, packing
 * included, as the step runs them.
 */
function timeKernel(item: Work): Timing {
  const activationOperand = /scores|weighted_values/.test(item.where);
  if (item.kind === 'conv') {
    const filter = tf.randomNormal([item.k, item.k, item.cin, item.cout]) as tf.Tensor4D;
    const run = (h: number, w: number) => {
      const x = tf.randomNormal([item.batch, h, w, item.cin]) as tf.Tensor4D;
      const t = measure(() => tf.conv2d(x, filter, 1, 'same').dispose());
      x.dispose();
      return t;
    };
    run(Math.min(4, item.h), Math.min(4, item.w));
    const t = run(item.h, item.w);
    filter.dispose();
    return t;
  }
  const b = tf.randomNormal([item.k, item.n]) as tf.Tensor2D;
  const run = (rows: number) => {
    const a = tf.randomNormal([rows, item.k]) as tf.Tensor2D;
    const t = measure(() => tf.matMul(a, b).dispose());
    a.dispose();
    return t;
  };
  if (!activationOperand) run(1);
  const t = run(item.m);
  b.dispose();
  return t;
}

function summarize(m: Map<string, KernelTime>) {
  const groups = new Map<string, { wall: number; cpu: number; flops: number }>();
  for (const v of m.values()) {
    const g = groups.get(v.kind) ?? { wall: 0, cpu: 0, flops: 0 };
    g.wall += v.wall;
    g.cpu += v.cpu;
    g.flops += v.flops;
    groups.set(v.kind, g);
  }
  return Object.fromEntries(
    [...groups].map(([k, g]) => [
      k,
      {
        seconds: round(g.wall),
        cpu_seconds: round(g.cpu),
        gflop: round(g.flops / 1e9),
        gflops_per_cpu_s: round(g.flops / g.cpu / 1e9),
      },
    ]),
  );
}

function noteFor(backend: string, threads: number | null): string {
  const common =
    'mid-size config, random weights; FLOPs = 2 x multiply-adds of every conv and matmul (attention included); the PyTorch figure is the reference CPU time for the same step';
  if (backend === 'wasm') {
    return `${common}. wasm: XNNPACK on ${threads} thread${threads === 1 ? '' : 's'} (the runner's default: one per core, through the runtime shim; stock tfjs runs one in Node), conv throughput bound; attention runs as per-head 2-D matmuls because batched/transposed matmuls fall to a scalar loop here. On tfjs-node-gpu the attention takes the batched path (heads folded into batched matmuls), convs run on cuDNN, and the element-wise share of the step is larger relative to the much faster convs.`;
  }
  return `${common}. Measured on ${backend}; attention takes the batched-matmul path.`;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

/**
 * wasm backend with and without XNNPACK threads (KANDINSKY_WASM_THREADS): a 3×3 conv (batch 2, 64×64, 320→320)
 * and a 2-D matmul 8192×1024 @ 1024×4096. Threads are fixed per process, so each configuration runs in its own
 * child process; configurations alternate over rounds so that load from other users of the machine hits them alike.
 * Prints one JSON line per (op, configuration) with the median wall time over all rounds, its GFLOP/s, and the
 * process CPU time per run (all threads together; a thread waiting for work spins, so CPU ≥ wall × threads-ish).
 *
 * Env: WASM_THREADS_BENCH_CONFIGS (default "off,1,2": "off" = stock single-threaded build, n = threaded build with
 * n threads), WASM_THREADS_BENCH_ROUNDS (default 2).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/tf/backend.js';
import { report } from './util.js';

interface OpSpec {
  op: string;
  flops: number;
  reps: number;
  run: () => tf.Tensor;
}

/** One op's runs in one child: wall and CPU milliseconds per run. */
interface ChildResult {
  op: string;
  flops: number;
  threads: number;
  wallMs: number[];
  cpuMs: number[];
}

const CHILD_FLAG = '--child';

async function child(): Promise<void> {
  await initBackend({ prefer: 'wasm' });
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const x = tf.randomNormal([2, 64, 64, 320], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 320, 320], 0, 0.05, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomNormal([8192, 1024], 0, 1, 'float32', 3) as tf.Tensor2D;
  const b = tf.randomNormal([1024, 4096], 0, 0.05, 'float32', 4) as tf.Tensor2D;
  const ops: OpSpec[] = [
    {
      op: 'conv3x3_b2_64x64_320to320',
      flops: 2 * 2 * 64 * 64 * 320 * 320 * 9,
      reps: 5,
      run: () => tf.conv2d(x, w, 1, 'same'),
    },
    { op: 'matmul_8192x1024_1024x4096', flops: 2 * 8192 * 1024 * 4096, reps: 3, run: () => tf.matMul(a, b) },
  ];
  for (const spec of ops) {
    const once = () => {
      const y = spec.run();
      y.dataSync();
      y.dispose();
    };
    once(); // warm-up: XNNPACK operator creation, weight packing, heap growth
    const result: ChildResult = { op: spec.op, flops: spec.flops, threads: getThreadsCount(), wallMs: [], cpuMs: [] };
    for (let i = 0; i < spec.reps; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      once();
      result.wallMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      result.cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    console.log(JSON.stringify(result));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function parent(): void {
  const configs = (process.env.WASM_THREADS_BENCH_CONFIGS ?? 'off,1,2').split(',').map((c) => c.trim());
  const rounds = Number(process.env.WASM_THREADS_BENCH_ROUNDS ?? 2);
  const load0 = loadavg()[0];
  const runs = new Map<string, ChildResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      const env: NodeJS.ProcessEnv = { ...process.env, KANDINSKY_BACKEND: 'wasm' };
      if (config === 'off') delete env.KANDINSKY_WASM_THREADS;
      else env.KANDINSKY_WASM_THREADS = config;
      const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, CHILD_FLAG], {
        env,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`child (${config}) exited with ${r.status ?? r.signal}: ${r.stderr}`);
      for (const line of r.stdout.trim().split('\n')) {
        const res = JSON.parse(line) as ChildResult;
        const key = `${res.op}|${config}`;
        runs.set(key, [...(runs.get(key) ?? []), res]);
      }
    }
  }
  const load1 = loadavg()[0];
  for (const [key, results] of runs) {
    const [op, config] = key.split('|');
    const wall = results.flatMap((r) => r.wallMs);
    const cpu = results.flatMap((r) => r.cpuMs);
    const ms = median(wall);
    report({
      name: 'wasm-threads',
      op,
      config: config === 'off' ? 'stock' : `threaded-${config}`,
      threads: results[0].threads,
      runs: wall.length,
      median_ms: Math.round(ms),
      min_ms: Math.round(Math.min(...wall)),
      gflops_per_s: Number((results[0].flops / (ms / 1000) / 1e9).toFixed(1)),
      median_cpu_ms: Math.round(median(cpu)),
      load_average: [Number(load0.toFixed(2)), Number(load1.toFixed(2))],
    });
  }
}

if (process.argv.includes(CHILD_FLAG)) await child();
else parent();

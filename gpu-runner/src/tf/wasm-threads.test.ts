import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import {
  coresForWasm,
  MAX_WASM_THREADS,
  reinitialiseWasmBackend,
  resolveWasmThreads,
  setWasmBackendWithThreads,
  wasmPthreadsStarted,
  wasmThreadCount,
  wasmThreadsFromEnv,
} from './wasm-threads.js';

describe('KANDINSKY_WASM_THREADS parsing', () => {
  it('leaves the default to the caller when unset or empty, and accepts auto and 1..8', () => {
    expect(wasmThreadsFromEnv({})).toBeUndefined();
    expect(wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: ' ' })).toBeUndefined();
    expect(wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: '2' })).toBe(2);
    expect(wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: String(MAX_WASM_THREADS) })).toBe(8);
    expect(wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: 'auto' })).toBe('auto');
  });

  it('rejects anything else by name', () => {
    for (const bad of ['0', '9', '-1', '1.5', 'two', '2x', 'AUTO']) {
      expect(() => wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: bad })).toThrow(
        /KANDINSKY_WASM_THREADS must be auto or an integer from 1 to 8/,
      );
    }
  });

  it('auto is one thread per core this process may use, within 1..8', () => {
    expect(resolveWasmThreads('auto')).toBe(Math.min(8, availableParallelism()));
    expect(coresForWasm()).toBe(resolveWasmThreads('auto'));
    expect(resolveWasmThreads(3)).toBe(3);
  });
});

// Threads are fixed when the wasm backend initialises, once per process; vitest runs this file in its own fork.
describe('wasm backend with 2 threads', () => {
  it('initialises with 2 XNNPACK threads and starts a pthread', async () => {
    expect(await setWasmBackendWithThreads(2)).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    expect(getThreadsCount()).toBe(2);
    expect(wasmPthreadsStarted()).toBeGreaterThanOrEqual(1);
    // Switching back with the same count is fine; another count cannot be had any more.
    expect(await setWasmBackendWithThreads(2)).toBe(true);
    await expect(setWasmBackendWithThreads(3)).rejects.toThrow(/already initialised with 2 thread/);
  });

  it('restarts with another thread count once no tensor is left on it, and refuses while one is', async () => {
    await setWasmBackendWithThreads(2);
    const kept = tf.ones([4]);
    await expect(reinitialiseWasmBackend(1)).rejects.toThrow(/tensors still live on it/);
    kept.dispose();
    expect(await reinitialiseWasmBackend(1)).toBe(true);
    expect([wasmThreadCount(), getThreadsCount()]).toEqual([1, 1]);
    const [a, b] = [tf.ones([2, 3]), tf.ones([3, 2])];
    const c = tf.matMul(a, b);
    expect(Array.from(await c.data())).toEqual([3, 3, 3, 3]);
    tf.dispose([a, b, c]);
    expect(await reinitialiseWasmBackend(2)).toBe(true);
    expect([wasmThreadCount(), getThreadsCount()]).toEqual([2, 2]);
  });

  it('computes a threaded matmul and conv exactly (closed-form expectations)', async () => {
    await setWasmBackendWithThreads(2);
    // A[i, k] = i mod 7, B = ones: every C[i, j] = K * (i mod 7). Big enough for XNNPACK to split across threads.
    const [m, k, n] = [512, 256, 384];
    const a = tf.tidy(() => tf.mod(tf.range(0, m), 7).reshape([m, 1]).tile([1, k]) as tf.Tensor2D);
    const c = tf.matMul(a, tf.ones([k, n]));
    const cv = await c.data();
    for (const i of [0, 1, 6, 7, 255, 511]) {
      for (const j of [0, n - 1]) expect(cv[i * n + j]).toBe(k * (i % 7));
    }
    // A 3×3 'same' conv of ones with ones: 9·Cin inside, 6·Cin on edges, 4·Cin in corners.
    const cin = 32;
    const y = tf.conv2d(tf.ones([2, 24, 24, cin]) as tf.Tensor4D, tf.ones([3, 3, cin, 16]) as tf.Tensor4D, 1, 'same');
    const yv = await y.data();
    const at = (b: number, h: number, w: number) => yv[((b * 24 + h) * 24 + w) * 16];
    expect([at(0, 0, 0), at(1, 0, 12), at(1, 12, 12), at(0, 23, 23)]).toEqual([4 * cin, 6 * cin, 9 * cin, 4 * cin]);
    tf.dispose([a, c, y]);
  });

  it('does not keep a plain Node process alive', () => {
    // The pool's pthreads run for the life of the process; an unfinished exit would hit the timeout.
    const script = [
      "import * as tf from '@tensorflow/tfjs';",
      `import { setWasmBackendWithThreads } from ${JSON.stringify(join(import.meta.dirname, 'wasm-threads.ts'))};`,
      'await setWasmBackendWithThreads(2);',
      'const y = tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]));',
      "console.log('sum', (await y.sum().data())[0]);",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`sum ${256 ** 3}`);
  });
});

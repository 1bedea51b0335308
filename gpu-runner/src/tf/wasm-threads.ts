/**
 * Multi-threaded TF.js wasm backend in Node, without patching `@tensorflow/tfjs-backend-wasm`.
 *
 * Stock tfjs 4.22 never uses threads in Node, for three reasons this module works around at run time:
 * 1. The `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to `false` under Node (tfjs issue #3830). We set it.
 * 2. The emscripten pthread pool is started from Blob URLs (`blob:nodedata:…`) that `worker_threads` cannot load:
 *    the worker script's URL, and `mainScriptUrlOrBlob` (a Blob of the factory's source, which would not even run
 *    in a worker since it refers to the bundle's module-scoped `require$$0`). We give emscripten a `Worker` class
 *    that starts the package's own pthread script (`wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`) and points
 *    its `load` message at the package's standalone factory (`wasm-out/tfjs-backend-wasm-threaded-simd.js`).
 * 3. The C++ side caps the thread count at `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads per
 *    core), i.e. at 1 on a 2-vCPU machine. That value is read once, by a static initialiser, from `os.cpus().length`;
 *    while the backend initialises we make `os.cpus()` report twice the requested count.
 *
 * All three depend on internals of tfjs-backend-wasm 4.22.0; {@link setWasmBackendWithThreads} verifies the outcome
 * (`getThreadsCount()`) and throws when it does not hold, so an upgrade that breaks the workaround fails loudly.
 * Whether the threaded backend computes the right numbers is checked by the runner's start-up parity check
 * (`src/verify/startup-check.ts`), which keeps threads on only when it passes.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

/**
 * The environment variable that sets the wasm thread count: `auto` (one per core, see {@link coresForWasm}) or an
 * integer 1..{@link MAX_WASM_THREADS}; unset or empty = the caller's default. The runner and `kandinsky verify`
 * default to `auto` (the runner keeps it only when its start-up parity check passes); tests default to 1.
 */
export const WASM_THREADS_ENV = 'KANDINSKY_WASM_THREADS';

/** tfjs-backend-wasm pre-creates 8 pthread workers and never lets XNNPACK use more. */
export const MAX_WASM_THREADS = 8;

/** What a caller may ask for: a count, or `auto`. */
export type WasmThreadsSetting = number | 'auto';

/**
 * Reads {@link WASM_THREADS_ENV}. Returns `undefined` when unset or empty (the caller's default applies), `'auto'`,
 * or the count; throws on anything but `auto` or an integer in 1..{@link MAX_WASM_THREADS}.
 */
export function wasmThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): WasmThreadsSetting | undefined {
  const raw = env[WASM_THREADS_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'auto') return 'auto';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`${WASM_THREADS_ENV} must be auto or an integer from 1 to ${MAX_WASM_THREADS}; got "${raw}"`);
  }
  return n;
}

/** One XNNPACK thread per core this process may use, at most {@link MAX_WASM_THREADS}. */
export function coresForWasm(): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, os.availableParallelism()));
}

/** A setting as a count (`auto` = {@link coresForWasm}). */
export function resolveWasmThreads(setting: WasmThreadsSetting): number {
  return setting === 'auto' ? coresForWasm() : setting;
}

let activeThreads = 1;

/** XNNPACK threads of the wasm backend this process initialised last (1 when it runs the stock build). */
export function wasmThreadCount(): number {
  return activeThreads;
}

const requireFromHere = createRequire(import.meta.url);
const PTHREAD_WORKER_MODULE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
const THREADED_FACTORY_MODULE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

let pthreadScript: string | undefined;
/**
 * The emscripten pthread worker script, as the package ships it (a module exporting the source as a string). Its
 * source holds `"\n"` escapes that became real newlines inside the template literal; put the escapes back, as
 * tfjs itself does before making its Blob.
 */
function pthreadWorkerScript(): string {
  pthreadScript ??= (
    requireFromHere(PTHREAD_WORKER_MODULE) as { wasmWorkerContents: string }
  ).wasmWorkerContents.replace(/\n/g, '\\n');
  return pthreadScript;
}

let pthreadsStarted = 0;

/**
 * The `Worker` emscripten's pthread pool constructs. tfjs hands it a Blob URL for the pthread script; we start the
 * package's script instead (as eval'd code, so no temp file). Other URLs behave exactly like `worker_threads.Worker`.
 */
class PthreadPoolWorker extends NodeWorker {
  private readonly isPthread: boolean;

  constructor(url: string | URL, options?: WorkerOptions) {
    const isBlob = typeof url === 'string' && url.startsWith('blob:');
    if (isBlob) URL.revokeObjectURL(url);
    // No inherited execArgv: the pthread script is plain CommonJS, and flags such as `--input-type=module` or a
    // loader (`--import tsx`) would break it or slow each of the 8 workers' start.
    super(isBlob ? pthreadWorkerScript() : url, isBlob ? { eval: true, execArgv: [] } : options);
    this.isPthread = isBlob;
  }

  /**
   * Emscripten refs a worker for as long as it runs a pthread. XNNPACK's pool threads run for the life of the
   * process, so that would keep Node alive forever. The main thread waits for pool work synchronously (Atomics),
   * never through the event loop, so the workers can stay unref'd (emscripten unrefs them once loaded).
   */
  override ref(): void {
    if (!this.isPthread) super.ref();
  }

  override postMessage(message: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
    if (this.isPthread && isRecord(message)) {
      // `load` carries `mainScriptUrlOrBlob`: replace tfjs's Blob by the path of the standalone factory script.
      if (message.cmd === 'load' && typeof message.urlOrBlob !== 'string') {
        message = { ...message, urlOrBlob: requireFromHere.resolve(THREADED_FACTORY_MODULE) };
      } else if (message.cmd === 'run') {
        pthreadsStarted++;
      }
    }
    super.postMessage(message, transferList);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** How many pthreads the wasm backend has started in this process (XNNPACK's pool: threads − 1). For diagnostics. */
export function wasmPthreadsStarted(): number {
  return pthreadsStarted;
}

/**
 * Emscripten's factory runs `global.Worker = require('worker_threads').Worker` and then builds its pool with
 * `new Worker(...)`. An accessor keeps our class in place through that assignment; once the pool exists we leave
 * a plain property holding our class (the pool only grows past 8 workers, which the thread cap rules out).
 */
function withPthreadWorkerGlobal<T>(run: () => Promise<T>): Promise<T> {
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PthreadPoolWorker,
    set: () => {},
  });
  return run().finally(() => {
    Object.defineProperty(globalThis, 'Worker', { configurable: true, writable: true, value: PthreadPoolWorker });
  });
}

/** Makes `os.cpus()` list `count` entries (the real ones, repeated) while `run` is pending. */
async function withReportedCpus<T>(count: number, run: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: count }, (_, i) => cpus[i % cpus.length]);
  };
  try {
    return await run();
  } finally {
    os.cpus = realCpus;
  }
}

/**
 * Selects the wasm backend with `threads` XNNPACK threads (the calling thread plus `threads - 1` pthreads). Resolves
 * `false` where `tf.setBackend('wasm')` does (the binary could not be loaded). Throws when threads cannot be had:
 * no wasm SIMD, a wasm backend already initialised with another count (threads are fixed at initialisation), or a
 * tfjs-backend-wasm whose internals no longer match this workaround.
 */
export async function setWasmBackendWithThreads(threads: number): Promise<boolean> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm thread count must be an integer from 1 to ${MAX_WASM_THREADS}; got ${threads}`);
  }
  // Imported here, not at the top, so loading this module never registers the wasm backend (tfjs-node hosts).
  const { getThreadsCount, setThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  // (`tf.findBackend` would start initialising it, so look in the registry.)
  if (tf.engine().registry.wasm !== undefined) {
    // Already initialised in this process: only switching back is possible.
    const ok = await tf.setBackend('wasm');
    const actual = getThreadsCount();
    if (ok) activeThreads = actual;
    if (ok && actual !== threads) {
      throw new Error(
        `the wasm backend was already initialised with ${actual} thread(s); ${threads} must be requested before its first use`,
      );
    }
    return ok;
  }
  // Threads come only with the SIMD build (tfjs picks tfjs-backend-wasm-threaded-simd.wasm).
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
    throw new Error('wasm threads need wasm SIMD, which this runtime lacks');
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const ok = await withPthreadWorkerGlobal(() => withReportedCpus(2 * threads, () => tf.setBackend('wasm')));
  if (!ok) return false;
  const actual = getThreadsCount();
  if (actual !== threads) {
    throw new Error(`asked tfjs-backend-wasm for ${threads} thread(s) but it runs ${actual}`);
  }
  activeThreads = actual;
  return true;
}

/** Selects the stock single-threaded wasm backend (what tfjs does in Node by default). */
export async function setWasmBackendSingleThreaded(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (tf.engine().registry.wasm !== undefined && activeThreads !== 1) {
    throw new Error(`the wasm backend was already initialised with ${activeThreads} threads`);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const ok = await tf.setBackend('wasm');
  if (ok) activeThreads = 1;
  return ok;
}

/**
 * Replaces an initialised wasm backend by a fresh one with `threads` threads (1 = the stock single-threaded build):
 * threads are fixed when the backend initialises, so this drops the instance (its heap and pthreads) and
 * initialises the registered factory again. Every tensor must have been disposed first; throws if one is left on
 * the wasm backend, since it would point into the dropped heap.
 */
export async function reinitialiseWasmBackend(threads: number): Promise<boolean> {
  const engine = tf.engine();
  const registered = engine.registryFactory.wasm;
  if (!registered) throw new Error('the wasm backend is not registered');
  const instance = engine.registry.wasm;
  if (instance && instance.numDataIds() > 0) {
    throw new Error(`cannot restart the wasm backend: ${instance.numDataIds()} tensors still live on it`);
  }
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', registered.factory, registered.priority);
  activeThreads = 1;
  return threads === 1 ? setWasmBackendSingleThreaded() : setWasmBackendWithThreads(threads);
}

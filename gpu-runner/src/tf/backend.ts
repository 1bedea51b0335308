import * as tf from '@tensorflow/tfjs';
import {
  reinitialiseWasmBackend,
  resolveWasmThreads,
  setWasmBackendSingleThreaded,
  setWasmBackendWithThreads,
  type WasmThreadsSetting,
  wasmThreadCount,
  wasmThreadsFromEnv,
} from './wasm-threads.js';

/** The backends the runner can use, fastest first. */
export const BACKEND_PREFERENCE = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_PREFERENCE)[number];

/** What {@link initBackend} settled on; reported by `/metrics` and the bench output. */
export interface BackendInfo {
  choice: BackendChoice;
  /** The tfjs backend name (`tensorflow` for both tfjs-node packages). */
  tfBackend: string;
  /** Bytes the backend can hold at most, or `Infinity` where only the host limits it. */
  memoryLimitBytes: number;
  /** Why earlier choices were skipped (e.g. a package that is not installed). */
  skipped: { choice: BackendChoice; reason: string }[];
  /** XNNPACK threads on wasm, 1 on the cpu backend; `null` on tfjs-node(-gpu), which manage their own threads. */
  threads: number | null;
  /** Why wasm runs fewer threads than were asked for (the thread shim failed to start), if it does. */
  threadsNote?: string;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force a backend (else `KANDINSKY_BACKEND`, else the fastest available). */
  prefer?: string;
  /**
   * wasm threads when `KANDINSKY_WASM_THREADS` is unset: `auto` = one per core (the runner, the CLI, benchmarks),
   * or a count. Default 1, the stock single-threaded build (tests, which share the machine between workers).
   */
  wasmThreads?: WasmThreadsSetting;
  log?: (msg: string) => void;
}

/** wasm memory is a 32-bit heap: 4 GiB at most, and an allocation beyond it does not throw (see platform notes). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

let current: BackendInfo | undefined;

/**
 * Picks and initialises the TF.js backend: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (both optional
 * dependencies, missing where libtensorflow could not be downloaded), then wasm (SIMD), then the pure-JS cpu backend.
 * `KANDINSKY_BACKEND` (or `opts.prefer`) forces one choice and fails if it is unavailable.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const forced = opts.prefer ?? process.env.KANDINSKY_BACKEND;
  if (forced !== undefined && forced !== '' && !(BACKEND_PREFERENCE as readonly string[]).includes(forced)) {
    throw new Error(`KANDINSKY_BACKEND must be one of ${BACKEND_PREFERENCE.join(', ')}; got "${forced}"`);
  }
  // A malformed KANDINSKY_WASM_THREADS is a configuration error, not a reason to fall back to the cpu backend.
  const threads = resolveWasmThreads(wasmThreadsFromEnv() ?? opts.wasmThreads ?? 1);
  const order: BackendChoice[] = forced ? [forced as BackendChoice] : [...BACKEND_PREFERENCE];
  const skipped: BackendInfo['skipped'] = [];
  let threadsNote: string | undefined;
  for (const choice of order) {
    const reason = await tryBackend(choice, threads, (note) => {
      threadsNote = note;
    });
    if (reason === undefined) {
      current = {
        choice,
        tfBackend: tf.getBackend(),
        memoryLimitBytes: choice === 'wasm' ? WASM_HEAP_LIMIT_BYTES : Number.POSITIVE_INFINITY,
        skipped,
        threads: choice === 'wasm' ? wasmThreadCount() : choice === 'cpu' ? 1 : null,
        ...(threadsNote ? { threadsNote } : {}),
      };
      opts.log?.(
        `tfjs backend: ${choice} (${current.tfBackend}${choice === 'wasm' ? `, ${current.threads} thread${current.threads === 1 ? '' : 's'}${threadsNote ? `: ${threadsNote}` : ''}` : ''})${skipped.length ? `; skipped ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}` : ''}`,
      );
      return current;
    }
    skipped.push({ choice, reason });
  }
  throw new Error(`no usable TF.js backend: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by the last {@link initBackend}, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** Records that the wasm backend now runs `threads` threads (after the runner restarted it). */
export function noteWasmThreads(threads: number): void {
  if (current?.choice === 'wasm') current.threads = threads;
}

/**
 * Selects wasm with `threads` XNNPACK threads (through the runtime shim of wasm-threads.ts when > 1; stock tfjs runs
 * single-threaded in Node). Threads are fixed when the backend initialises, so an initialised backend with another
 * count is restarted (which needs every tensor on it disposed). When threads cannot be had, wasm still runs, on the
 * threads it has, and `note` says why.
 */
async function startWasm(threads: number, note: (msg: string) => void): Promise<boolean> {
  const initialised = () => tf.engine().registry.wasm !== undefined;
  if (initialised() && wasmThreadCount() === threads) return tf.setBackend('wasm');
  try {
    if (initialised()) return await reinitialiseWasmBackend(threads);
    return threads === 1 ? await setWasmBackendSingleThreaded() : await setWasmBackendWithThreads(threads);
  } catch (err) {
    if (threads === 1 && !initialised()) throw err;
    // The shim relies on internals of tfjs-backend-wasm 4.22.0: when it fails, keep (or start) what works.
    const ok = initialised() ? await tf.setBackend('wasm') : await reinitialiseWasmBackend(1);
    note(`${threads} threads unavailable (${(err as Error).message}); running ${wasmThreadCount()}`);
    return ok;
  }
}

async function tryBackend(
  choice: BackendChoice,
  threads: number,
  noteThreads: (note: string) => void,
): Promise<string | undefined> {
  try {
    switch (choice) {
      case 'node-gpu':
      case 'node': {
        const pkg = choice === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        await import(/* @vite-ignore */ pkg);
        return (await tf.setBackend('tensorflow')) ? undefined : `${pkg} loaded but its backend did not initialise`;
      }
      case 'wasm': {
        await import('@tensorflow/tfjs-backend-wasm');
        // setBackend resolves false (it does not throw) when the .wasm binary cannot be loaded.
        const ok = await startWasm(threads, noteThreads);
        return ok ? undefined : 'the wasm binary could not be loaded';
      }
      case 'cpu':
        return (await tf.setBackend('cpu')) ? undefined : 'cpu backend failed to initialise';
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') return 'package not installed';
    return e.message ?? String(err);
  }
}

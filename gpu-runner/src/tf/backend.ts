import * as tf from '@tensorflow/tfjs';
import { setWasmBackendWithThreads, wasmThreadsFromEnv } from './wasm-threads.js';

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
}

/** wasm memory is a 32-bit heap: 4 GiB at most, and an allocation beyond it does not throw (see platform notes). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

let current: BackendInfo | undefined;

/**
 * Picks and initialises the TF.js backend: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (both optional
 * dependencies, missing where libtensorflow could not be downloaded), then wasm (SIMD), then the pure-JS cpu backend.
 * `KANDINSKY_BACKEND` (or `opts.prefer`) forces one choice and fails if it is unavailable.
 */
export async function initBackend(opts: { prefer?: string; log?: (msg: string) => void } = {}): Promise<BackendInfo> {
  const forced = opts.prefer ?? process.env.KANDINSKY_BACKEND;
  if (forced !== undefined && forced !== '' && !(BACKEND_PREFERENCE as readonly string[]).includes(forced)) {
    throw new Error(`KANDINSKY_BACKEND must be one of ${BACKEND_PREFERENCE.join(', ')}; got "${forced}"`);
  }
  // A malformed KANDINSKY_WASM_THREADS is a configuration error, not a reason to fall back to the cpu backend.
  wasmThreadsFromEnv();
  const order: BackendChoice[] = forced ? [forced as BackendChoice] : [...BACKEND_PREFERENCE];
  const skipped: BackendInfo['skipped'] = [];
  for (const choice of order) {
    const reason = await tryBackend(choice);
    if (reason === undefined) {
      current = {
        choice,
        tfBackend: tf.getBackend(),
        memoryLimitBytes: choice === 'wasm' ? WASM_HEAP_LIMIT_BYTES : Number.POSITIVE_INFINITY,
        skipped,
      };
      opts.log?.(
        `tfjs backend: ${choice} (${current.tfBackend})${skipped.length ? `; skipped ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}` : ''}`,
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

async function tryBackend(choice: BackendChoice): Promise<string | undefined> {
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
        // Opt-in XNNPACK threads (KANDINSKY_WASM_THREADS); stock tfjs runs single-threaded in Node.
        const threads = wasmThreadsFromEnv();
        // setBackend resolves false (it does not throw) when the .wasm binary cannot be loaded.
        const ok = threads === undefined ? await tf.setBackend('wasm') : await setWasmBackendWithThreads(threads);
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

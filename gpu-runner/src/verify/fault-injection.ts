/**
 * Test seam: a deliberately wrong kernel. Replaces one registered TF.js kernel of one backend by a wrapper that runs
 * the real kernel and then scales every float output by `1 + relative`, the way a subtly broken GPU kernel, driver
 * or library upgrade would. Used by the tests that show `kandinsky verify` fails and the runner refuses to become
 * ready when the backend computes something else; nothing in the shipped code paths calls it.
 */
import * as tf from '@tensorflow/tfjs';

/** Undoes {@link perturbKernel}. */
export type RestoreKernel = () => void;

/** Options of {@link perturbKernel}. */
export interface PerturbOptions {
  /** Backend whose kernel is replaced (default: the current one). */
  backend?: string;
  /** Outputs are scaled by `1 + relative` (default 1e-3). */
  relative?: number;
  /** Perturb only while this holds (e.g. only when the wasm backend runs several threads). */
  when?: () => boolean;
}

/**
 * Makes `kernelName` scale its float outputs by `1 + relative`. Returns the function that restores the original
 * kernel. Throws if the backend has no such kernel.
 * @example const restore = perturbKernel('Softmax', { backend: 'wasm' }); try { ... } finally { restore(); }
 */
export function perturbKernel(kernelName: string, opts: PerturbOptions = {}): RestoreKernel {
  const backendName = opts.backend ?? tf.getBackend();
  const relative = opts.relative ?? 1e-3;
  const original = tf.getKernel(kernelName, backendName);
  if (!original) throw new Error(`backend ${backendName} has no kernel ${kernelName}`);
  const kernelFunc: tf.KernelFunc = (args) => {
    const result = original.kernelFunc(args);
    if (opts.when && !opts.when()) return result;
    const scale = (info: tf.TensorInfo): tf.TensorInfo => {
      if (info.dtype !== 'float32') return info;
      const backend = args.backend as tf.KernelBackend;
      const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array, (v) => v * (1 + relative));
      backend.disposeData(info.dataId);
      return { dataId: backend.write(values, info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
    };
    return Array.isArray(result) ? result.map(scale) : scale(result);
  };
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...original, kernelFunc });
  return () => {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(original);
  };
}
